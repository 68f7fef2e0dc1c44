package com.mentra.testing;

/**
 * Measurements of mono 16-bit PCM: dominant frequency, level, silent gaps. Stateless; thread-safe.
 */
public final class Spectrum {
  private static final int MAX_FFT = 1 << 22;

  private Spectrum() {}

  /**
   * The dominant frequency in Hz, precise to well under 0.1 Hz for a steady tone of a few hundred
   * ms: the mean is removed, a Hann-windowed, zero-padded FFT finds the peak bin, then a
   * golden-section search of the windowed DTFT refines it.
   */
  public static double dominantFrequency(short[] samples, int sampleRate) {
    return dominantFrequency(samples, sampleRate, 0, sampleRate / 2.0);
  }

  /** Same, looking only between {@code minHz} and {@code maxHz}. */
  public static double dominantFrequency(
      short[] samples, int sampleRate, double minHz, double maxHz) {
    int n = samples.length;
    if (n < 64) throw new IllegalArgumentException("too few samples: " + n);
    double mean = 0;
    for (short v : samples) mean += v;
    mean /= n;
    double[] windowed = new double[n];
    for (int i = 0; i < n; i++)
      windowed[i] = (samples[i] - mean) * (0.5 - 0.5 * Math.cos(2 * Math.PI * i / (n - 1)));
    int size = Integer.highestOneBit(n - 1) << 1;
    while (size < MAX_FFT && size < 4 * n) size <<= 1;
    double[] re = new double[size];
    double[] im = new double[size];
    System.arraycopy(windowed, 0, re, 0, n);
    fft(re, im);
    double binHz = (double) sampleRate / size;
    int from = Math.max(1, (int) Math.ceil(minHz / binHz));
    int to = Math.min(size / 2 - 1, (int) Math.floor(maxHz / binHz));
    if (from > to)
      throw new IllegalArgumentException("empty range " + minHz + ".." + maxHz + " Hz");
    int peak = from;
    double best = -1;
    for (int k = from; k <= to; k++) {
      double mag = re[k] * re[k] + im[k] * im[k];
      if (mag > best) {
        best = mag;
        peak = k;
      }
    }
    // Golden-section search for the maximum of the DTFT within one bin either side.
    double a = (peak - 1) * binHz / sampleRate;
    double b = (peak + 1) * binHz / sampleRate;
    double g = (Math.sqrt(5) - 1) / 2;
    double c = b - g * (b - a);
    double d = a + g * (b - a);
    double fc = dtftMagnitude(windowed, c);
    double fd = dtftMagnitude(windowed, d);
    while ((b - a) * sampleRate > 1e-4) {
      if (fc > fd) {
        b = d;
        d = c;
        fd = fc;
        c = b - g * (b - a);
        fc = dtftMagnitude(windowed, c);
      } else {
        a = c;
        c = d;
        fc = fd;
        d = a + g * (b - a);
        fd = dtftMagnitude(windowed, d);
      }
    }
    return (a + b) / 2 * sampleRate;
  }

  /** RMS level in dB relative to full scale (a full-scale sine is -3 dBFS). */
  public static double rmsDbfs(short[] samples) {
    if (samples.length == 0) return Double.NEGATIVE_INFINITY;
    double sum = 0;
    for (short s : samples) sum += (double) s * s;
    return 20 * Math.log10(Math.sqrt(sum / samples.length) / 32768.0);
  }

  /** RMS level in dBFS of samples {@code [from, to)}; minus infinity when empty or silent. */
  public static double rmsDbfs(short[] samples, int from, int to) {
    if (to <= from) return Double.NEGATIVE_INFINITY;
    double sum = 0;
    for (int i = from; i < to; i++) sum += (double) samples[i] * samples[i];
    return 20 * Math.log10(Math.sqrt(sum / (to - from)) / 32768.0);
  }

  /**
   * The longest run, in ms, of consecutive 5 ms windows whose RMS is below {@code thresholdDbfs} (a
   * multiple of 5 ms; a gap at either end counts too).
   */
  public static double longestGapMs(short[] samples, int sampleRate, double thresholdDbfs) {
    int window = sampleRate / 200;
    int longest = 0;
    int run = 0;
    for (int start = 0; start + window <= samples.length; start += window) {
      if (rmsDbfs(samples, start, start + window) < thresholdDbfs) {
        run++;
        longest = Math.max(longest, run);
      } else {
        run = 0;
      }
    }
    return longest * 5.0;
  }

  /**
   * Index of the first sample of the first 5 ms window at or above {@code thresholdDbfs}, or -1.
   */
  public static int firstSoundIndex(short[] samples, int sampleRate, double thresholdDbfs) {
    int window = sampleRate / 200;
    for (int start = 0; start + window <= samples.length; start += window) {
      if (rmsDbfs(samples, start, start + window) >= thresholdDbfs) return start;
    }
    return -1;
  }

  /** Samples {@code [from, to)} clamped to the array. */
  public static short[] slice(short[] samples, int from, int to) {
    from = Math.max(0, Math.min(from, samples.length));
    to = Math.max(from, Math.min(to, samples.length));
    short[] out = new short[to - from];
    System.arraycopy(samples, from, out, 0, out.length);
    return out;
  }

  private static double dtftMagnitude(double[] x, double normalizedFreq) {
    double w = 2 * Math.PI * normalizedFreq;
    double cosW = Math.cos(w);
    double sinW = Math.sin(w);
    double c = 1;
    double s = 0;
    double re = 0;
    double im = 0;
    for (double v : x) {
      re += v * c;
      im -= v * s;
      double nc = c * cosW - s * sinW;
      s = s * cosW + c * sinW;
      c = nc;
    }
    return re * re + im * im;
  }

  /** In-place iterative radix-2 FFT; {@code re.length} must be a power of two. */
  private static void fft(double[] re, double[] im) {
    int n = re.length;
    for (int i = 1, j = 0; i < n; i++) {
      int bit = n >> 1;
      for (; (j & bit) != 0; bit >>= 1) j ^= bit;
      j ^= bit;
      if (i < j) {
        double t = re[i];
        re[i] = re[j];
        re[j] = t;
        t = im[i];
        im[i] = im[j];
        im[j] = t;
      }
    }
    for (int len = 2; len <= n; len <<= 1) {
      double angle = -2 * Math.PI / len;
      double wr = Math.cos(angle);
      double wi = Math.sin(angle);
      for (int i = 0; i < n; i += len) {
        double cr = 1;
        double ci = 0;
        for (int k = 0; k < len / 2; k++) {
          int a = i + k;
          int b = a + len / 2;
          double tr = re[b] * cr - im[b] * ci;
          double ti = re[b] * ci + im[b] * cr;
          re[b] = re[a] - tr;
          im[b] = im[a] - ti;
          re[a] += tr;
          im[a] += ti;
          double ncr = cr * wr - ci * wi;
          ci = cr * wi + ci * wr;
          cr = ncr;
        }
      }
    }
  }
}
