package com.mentra.bridge.dsp;

/** Measures a resampled pure tone: fitted level and everything else (THD+N). */
public final class ToneAnalysis {
  private ToneAnalysis() {}

  /** A mono sine at {@code amplitude} (0..1 of full scale). */
  public static short[] tone(double frequency, int rate, double amplitude, int frames) {
    short[] out = new short[frames];
    for (int i = 0; i < frames; i++)
      out[i] = (short) Math.round(amplitude * 32767 * Math.sin(2 * Math.PI * frequency * i / rate));
    return out;
  }

  /** Feeds {@code input} in chunks of {@code chunk} frames (exercising the streaming state). */
  static short[] resampleInChunks(Resampler r, short[] input, int chunk) {
    short[] out = new short[0];
    for (int i = 0; i < input.length; i += chunk) {
      int n = Math.min(chunk, input.length - i);
      out = concat(out, r.process(input, i, n));
    }
    return concat(out, r.flush());
  }

  static short[] concat(short[] a, short[] b) {
    short[] c = new short[a.length + b.length];
    System.arraycopy(a, 0, c, 0, a.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  /**
   * Least-squares fit of a sine at exactly {@code frequency}; returns {amplitude, residual rms}.
   */
  public static double[] fit(short[] x, int rate, double frequency, int from, int to) {
    double ss = 0, cc = 0, sc = 0, xs = 0, xc = 0;
    for (int i = from; i < to; i++) {
      double s = Math.sin(2 * Math.PI * frequency * i / rate);
      double c = Math.cos(2 * Math.PI * frequency * i / rate);
      ss += s * s;
      cc += c * c;
      sc += s * c;
      xs += x[i] * s;
      xc += x[i] * c;
    }
    double det = ss * cc - sc * sc;
    double a = (xs * cc - xc * sc) / det;
    double b = (xc * ss - xs * sc) / det;
    double residual = 0;
    for (int i = from; i < to; i++) {
      double model =
          a * Math.sin(2 * Math.PI * frequency * i / rate)
              + b * Math.cos(2 * Math.PI * frequency * i / rate);
      double e = x[i] - model;
      residual += e * e;
    }
    return new double[] {Math.hypot(a, b), Math.sqrt(residual / (to - from))};
  }

  /** THD+N in dB: everything but the fitted tone, relative to the tone's RMS. */
  public static double thdPlusNoiseDb(short[] x, int rate, double frequency) {
    int from = x.length / 10;
    int to = x.length - x.length / 10;
    double[] f = fit(x, rate, frequency, from, to);
    return 20 * Math.log10(f[1] / (f[0] / Math.sqrt(2)));
  }

  /** Level of the output relative to the input tone's amplitude, in dB (RMS of the steady part). */
  public static double levelDb(short[] x, double inputAmplitude) {
    int from = x.length / 10;
    int to = x.length - x.length / 10;
    double sum = 0;
    for (int i = from; i < to; i++) sum += (double) x[i] * x[i];
    double rms = Math.sqrt(sum / (to - from));
    return 20 * Math.log10(rms / (inputAmplitude * 32767 / Math.sqrt(2)));
  }
}
