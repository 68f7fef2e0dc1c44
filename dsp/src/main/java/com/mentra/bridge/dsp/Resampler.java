package com.mentra.bridge.dsp;

/**
 * Band-limited sample-rate conversion of 16-bit PCM between any two integer rates: a polyphase
 * windowed-sinc (Kaiser) filter with about 100 dB of stopband whose cutoff sits just below the
 * lower of the two Nyquist frequencies (passband to 45% of the lower rate, stopband from 50%).
 *
 * <p>Streaming: state carries across calls, so chunks of any size (including rates such as 22.05
 * kHz whose 10 ms is not a whole number of samples) join seamlessly; the output timeline is aligned
 * with the input (no added delay), and {@link #flush()} returns the tail. Channels are interleaved.
 * Not thread-safe: one instance per stream.
 *
 * <p>Bounded cost for any pair of rates: the kernel holds at most {@link #MAX_KERNEL_FLOATS}
 * coefficients (1 MiB). When the reduced ratio has more phases than fit (8,001 or 44,101 Hz to 48
 * kHz, or a WAV declaring 383,999 Hz), a table of fewer phases is interpolated linearly between
 * neighbours at run time, as speex and soxr do; kernels are shared between streams of the same
 * ratio through a small cache ({@link ResamplerKernel}), so a new stream at a known rate costs no
 * build at all.
 */
public final class Resampler {
  static final double STOPBAND_DB = 100;

  /** 1 MiB of float coefficients at most, whatever the rates. */
  static final int MAX_KERNEL_FLOATS = 256 * 1024;

  /** Filters longer than this trade transition width for bounded cost per output sample. */
  private static final int MAX_HALF_TAPS = 1024;

  private static final int MIN_INTERPOLATED_PHASES = 32;

  /**
   * An interpolated table needs far fewer phases than 1 MiB allows for -85 dB; fewer build faster.
   */
  private static final int INTERPOLATED_TABLE_FLOATS = 64 * 1024;

  private final int inRate;
  private final int outRate;
  private final int channels;
  private final int up;
  private final int down;
  private final int halfTaps;
  private final int taps;

  /**
   * taps for each phase, laid out phase-major: {@code up} exact phases, or (interpolated) {@code
   * phases + 1} evenly spaced ones.
   */
  private final float[] kernel;

  /** 0: one exact phase per {@code up}; otherwise the table's phase count, interpolated. */
  private final int phases;

  /** Input history, interleaved; index 0 holds global frame {@link #historyStart}. */
  private float[] history;

  private int historyFrames;
  private long historyStart;
  private long nextOutput;

  public Resampler(int inRate, int outRate, int channels) {
    if (inRate <= 0 || outRate <= 0)
      throw new IllegalArgumentException("rates must be positive: " + inRate + " -> " + outRate);
    if (channels < 1 || channels > 8)
      throw new IllegalArgumentException("channels must be 1..8, got " + channels);
    this.inRate = inRate;
    this.outRate = outRate;
    this.channels = channels;
    int g = gcd(inRate, outRate);
    this.up = outRate / g;
    this.down = inRate / g;
    int lower = Math.min(inRate, outRate);
    double transition = 0.05 * lower / inRate; // in cycles per input sample
    double cutoff = 0.475 * lower / inRate;
    int length = (int) Math.ceil((STOPBAND_DB - 7.95) / (14.36 * transition));
    this.halfTaps = inRate == outRate ? 0 : Math.min(MAX_HALF_TAPS, Math.max(2, (length + 1) / 2));
    this.taps = 2 * halfTaps;
    boolean exact = (long) up * taps <= MAX_KERNEL_FLOATS;
    this.phases =
        exact ? 0 : Math.max(MIN_INTERPOLATED_PHASES, INTERPOLATED_TABLE_FLOATS / taps - 1);
    this.kernel =
        inRate == outRate
            ? new float[0]
            : ResamplerKernel.shared(exact ? up : 0, phases, halfTaps, cutoff);
    this.history = new float[Math.max(1024, taps * 2) * channels];
    // Frames before the stream started are silence.
    this.historyStart = -halfTaps;
    this.historyFrames = halfTaps;
  }

  public int inputRate() {
    return inRate;
  }

  public int outputRate() {
    return outRate;
  }

  public int channels() {
    return channels;
  }

  /** Coefficients in this stream's kernel (shared with other streams of the same ratio). */
  public int kernelFloats() {
    return kernel.length;
  }

  /** Input frames the filter looks ahead: output for time t needs input up to t + this. */
  public int latencyFrames() {
    return halfTaps;
  }

  /**
   * Converts {@code frames} interleaved frames starting at {@code offset} and returns the output
   * that is complete so far (possibly empty).
   */
  public short[] process(short[] interleaved, int offset, int frames) {
    if (frames < 0 || offset < 0 || offset + frames * channels > interleaved.length) {
      throw new IllegalArgumentException(
          "bad range: offset " + offset + ", frames " + frames + ", length " + interleaved.length);
    }
    if (inRate == outRate) {
      short[] copy = new short[frames * channels];
      System.arraycopy(interleaved, offset, copy, 0, copy.length);
      return copy;
    }
    append(interleaved, offset, frames);
    return produce();
  }

  public short[] process(short[] interleaved) {
    return process(interleaved, 0, interleaved.length / channels);
  }

  /** Ends the stream: returns the remaining output, as if silence followed. */
  public short[] flush() {
    if (inRate == outRate) return new short[0];
    long inputEnd = historyStart + historyFrames;
    long outputEnd = ceilDiv(inputEnd * up, down);
    append(new short[halfTaps * channels], 0, halfTaps);
    short[] out = produce();
    int keep =
        (int)
            Math.max(
                0,
                Math.min(out.length / channels, outputEnd - (nextOutput - out.length / channels)));
    if (keep * channels == out.length) return out;
    short[] trimmed = new short[keep * channels];
    System.arraycopy(out, 0, trimmed, 0, trimmed.length);
    return trimmed;
  }

  private void append(short[] in, int offset, int frames) {
    int needed = (historyFrames + frames) * channels;
    if (needed > history.length) {
      float[] grown = new float[Math.max(needed, history.length * 2)];
      System.arraycopy(history, 0, grown, 0, historyFrames * channels);
      history = grown;
    }
    int base = historyFrames * channels;
    for (int i = 0, n = frames * channels; i < n; i++) history[base + i] = in[offset + i];
    historyFrames += frames;
  }

  private short[] produce() {
    long available = historyStart + historyFrames; // first frame index we do not have
    // Output n needs input frames up to floor(n*down/up) + halfTaps.
    long lastComputable = floorDiv((available - halfTaps - 1 + 1) * up - 1, down);
    long count = Math.max(0, lastComputable - nextOutput + 1);
    short[] out = new short[(int) count * channels];
    for (int o = 0; o < count; o++, nextOutput++) {
      long position = nextOutput * down;
      long whole = floorDiv(position, up);
      int phase = (int) (position - whole * up);
      int first = (int) (whole - halfTaps + 1 - historyStart);
      if (phases == 0) {
        int k0 = phase * taps;
        for (int c = 0; c < channels; c++) {
          out[o * channels + c] = saturate(dot(first * channels + c, k0));
        }
      } else {
        double p = (double) phase / up * phases;
        int i0 = (int) p;
        float t = (float) (p - i0);
        int k0 = i0 * taps;
        for (int c = 0; c < channels; c++) {
          out[o * channels + c] = saturate(dotInterpolated(first * channels + c, k0, t));
        }
      }
    }
    discardConsumed();
    return out;
  }

  /**
   * One output sample: {@code taps} input frames from history index {@code idx} (one channel, so
   * stepping by {@code channels}) times the kernel's phase at {@code k0}. Four partial sums, not
   * one: a single running sum makes every multiply-add wait for the previous add (Java may not
   * reorder floating-point sums); four independent chains cut the cost per 10 ms frame by about a
   * quarter to a third (scripts/bench-audio.sh: 16 -> 48 kHz 38.6 -> 29.8 us). The order of the sum
   * depends only on the output sample, so any chunking of the input still gives the same output.
   */
  private double dot(int idx, int k0) {
    float[] x = history;
    float[] h = kernel;
    int step = channels;
    double a0 = 0;
    double a1 = 0;
    double a2 = 0;
    double a3 = 0;
    int k = 0;
    for (; k + 3 < taps; k += 4, idx += 4 * step) {
      a0 += x[idx] * h[k0 + k];
      a1 += x[idx + step] * h[k0 + k + 1];
      a2 += x[idx + 2 * step] * h[k0 + k + 2];
      a3 += x[idx + 3 * step] * h[k0 + k + 3];
    }
    for (; k < taps; k++, idx += step) a0 += x[idx] * h[k0 + k];
    return (a0 + a1) + (a2 + a3);
  }

  /**
   * As {@link #dot}, with each coefficient interpolated between the table's phases {@code k0} and
   * the next, at {@code t}.
   */
  private double dotInterpolated(int idx, int k0, float t) {
    float[] x = history;
    float[] h = kernel;
    int step = channels;
    int k1 = k0 + taps;
    double a0 = 0;
    double a1 = 0;
    double a2 = 0;
    double a3 = 0;
    int k = 0;
    for (; k + 3 < taps; k += 4, idx += 4 * step) {
      a0 += x[idx] * (h[k0 + k] + t * (h[k1 + k] - h[k0 + k]));
      a1 += x[idx + step] * (h[k0 + k + 1] + t * (h[k1 + k + 1] - h[k0 + k + 1]));
      a2 += x[idx + 2 * step] * (h[k0 + k + 2] + t * (h[k1 + k + 2] - h[k0 + k + 2]));
      a3 += x[idx + 3 * step] * (h[k0 + k + 3] + t * (h[k1 + k + 3] - h[k0 + k + 3]));
    }
    for (; k < taps; k++, idx += step) a0 += x[idx] * (h[k0 + k] + t * (h[k1 + k] - h[k0 + k]));
    return (a0 + a1) + (a2 + a3);
  }

  /** Drops history that no future output needs. */
  private void discardConsumed() {
    long firstNeeded = floorDiv(nextOutput * down, up) - halfTaps + 1;
    int drop = (int) Math.max(0, Math.min(historyFrames, firstNeeded - historyStart));
    if (drop == 0) return;
    System.arraycopy(history, drop * channels, history, 0, (historyFrames - drop) * channels);
    historyFrames -= drop;
    historyStart += drop;
  }

  private static short saturate(double v) {
    long r = Math.round(v);
    if (r > Short.MAX_VALUE) return Short.MAX_VALUE;
    if (r < Short.MIN_VALUE) return Short.MIN_VALUE;
    return (short) r;
  }

  private static int gcd(int a, int b) {
    while (b != 0) {
      int t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  private static long floorDiv(long a, long b) {
    return Math.floorDiv(a, b);
  }

  private static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }
}
