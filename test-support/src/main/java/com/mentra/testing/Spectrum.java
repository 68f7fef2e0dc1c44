package com.mentra.testing;

/** Measurements of mono 16-bit PCM: dominant frequency, level, silent gaps. */
public final class Spectrum {
  private Spectrum() {}

  /**
   * The dominant frequency in Hz, precise to well under 0.1 Hz for a steady tone: a Hann-windowed,
   * zero-padded FFT finds the peak bin, then the windowed DTFT is scanned finely around it.
   */
  public static double dominantFrequency(short[] samples, int sampleRate) {
    int n = samples.length;
    if (n < 64) throw new IllegalArgumentException("too few samples: " + n);
    double[] windowed = new double[n];
    for (int i = 0; i < n; i++) windowed[i] = samples[i] * (0.5 - 0.5 * Math.cos(2 * Math.PI * i / (n - 1)));
    int size = Integer.highestOneBit(n - 1) << 2;
    double[] re = new double[size];
    double[] im = new double[size];
    System.arraycopy(windowed, 0, re, 0, n);
    fft(re, im);
    int peak = 1;
    double best = 0;
    for (int k = 1; k < size / 2; k++) {
      double mag = re[k] * re[k] + im[k] * im[k];
      if (mag > best) {
        best = mag;
        peak = k;
      }
    }
    double binHz = (double) sampleRate / size;
    double center = peak * binHz;
    double bestFreq = center;
    double bestMag = -1;
    for (double f = center - 2 * binHz; f <= center + 2 * binHz; f += binHz / 50) {
      double mag = dtftMagnitude(windowed, f / sampleRate);
      if (mag > bestMag) {
        bestMag = mag;
        bestFreq = f;
      }
    }
    return bestFreq;
  }

  /** RMS level in dB relative to full scale (a full-scale sine is -3 dBFS). */
  public static double rmsDbfs(short[] samples) {
    if (samples.length == 0) return Double.NEGATIVE_INFINITY;
    double sum = 0;
    for (short s : samples) sum += (double) s * s;
    return 20 * Math.log10(Math.sqrt(sum / samples.length) / 32768.0);
  }

  /** The longest run, in ms, of 5 ms windows whose RMS is below {@code thresholdDbfs}. */
  public static double longestGapMs(short[] samples, int sampleRate, double thresholdDbfs) {
    int window = sampleRate / 200;
    int longest = 0;
    int run = 0;
    for (int start = 0; start + window <= samples.length; start += window) {
      short[] w = new short[window];
      System.arraycopy(samples, start, w, 0, window);
      if (rmsDbfs(w) < thresholdDbfs) {
        run++;
        longest = Math.max(longest, run);
      } else {
        run = 0;
      }
    }
    return longest * 5.0;
  }

  /** Index of the first sample of the first 5 ms window at or above {@code thresholdDbfs}, or -1. */
  public static int firstSoundIndex(short[] samples, int sampleRate, double thresholdDbfs) {
    int window = sampleRate / 200;
    for (int start = 0; start + window <= samples.length; start += window) {
      short[] w = new short[window];
      System.arraycopy(samples, start, w, 0, window);
      if (rmsDbfs(w) >= thresholdDbfs) return start;
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
