package com.mentra.bridge.dsp;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The polyphase filter tables {@link Resampler} convolves with: a Kaiser-windowed sinc per phase,
 * built once per ratio and shared between streams through a small LRU cache (a few MiB at most), so
 * a new stream at a known rate costs no build. Tables are never modified after they are built.
 * Thread-safe.
 */
final class ResamplerKernel {
  private static final int MAX_ENTRIES = 8;
  private static final LinkedHashMap<Key, float[]> CACHE =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, float[]> eldest) {
          return size() > MAX_ENTRIES;
        }
      };

  private ResamplerKernel() {}

  /**
   * Identifies a table: rows (exact phases, or interpolated phases), half its length and the
   * cutoff.
   */
  private record Key(int exactPhases, int interpolatedPhases, int halfTaps, double cutoff) {}

  /**
   * The table for one ratio, laid out phase-major with {@code 2 * halfTaps} taps per row: {@code
   * exactPhases} rows (one per phase of the reduced ratio), or, when {@code exactPhases} is 0,
   * {@code interpolatedPhases + 1} evenly spaced rows spanning [0, 1] for linear interpolation.
   *
   * @param cutoff in cycles per input sample
   */
  static float[] shared(int exactPhases, int interpolatedPhases, int halfTaps, double cutoff) {
    Key key = new Key(exactPhases, interpolatedPhases, halfTaps, cutoff);
    synchronized (CACHE) {
      float[] cached = CACHE.get(key);
      if (cached != null) return cached;
    }
    float[] built = build(key); // outside the lock: another stream's lookup never waits for a build
    synchronized (CACHE) {
      float[] raced = CACHE.putIfAbsent(key, built);
      return raced != null ? raced : built;
    }
  }

  /**
   * Kernel value at distance {@code tau} input samples from the output instant: a Kaiser-windowed
   * sinc with the given cutoff (cycles per input sample), unity gain at DC.
   */
  private static float[] build(Key key) {
    double cutoff = key.cutoff();
    int halfTaps = key.halfTaps();
    int taps = 2 * halfTaps;
    // Exact: one row per phase of the ratio; interpolated: phases + 1 rows spanning [0, 1].
    int rows = key.exactPhases() > 0 ? key.exactPhases() : key.interpolatedPhases() + 1;
    double rowStep =
        key.exactPhases() > 0 ? 1.0 / key.exactPhases() : 1.0 / key.interpolatedPhases();
    float[] table = new float[rows * taps];
    for (int phase = 0; phase < rows; phase++) {
      double frac = phase * rowStep;
      double sum = 0;
      // sin(pi * 2 * cutoff * tau) for tau stepping down by 1: a rotation instead of Math.sin per
      // tap.
      double step = 2 * Math.PI * cutoff;
      double sinStep = Math.sin(step);
      double cosStep = Math.cos(step);
      double angle = step * (frac + halfTaps - 1);
      double sin = Math.sin(angle);
      double cos = Math.cos(angle);
      for (int k = 0; k < taps; k++) {
        // Input frame (whole - halfTaps + 1 + k) sits at distance tau from the output instant.
        double tau = frac + halfTaps - 1 - k;
        double window = KaiserWindow.at(tau / halfTaps);
        double arg = 2 * cutoff * tau;
        double sinc = Math.abs(arg) < 1e-12 ? 1 : sin / (Math.PI * arg);
        double v = 2 * cutoff * sinc * window;
        double nextSin = sin * cosStep - cos * sinStep;
        cos = cos * cosStep + sin * sinStep;
        sin = nextSin;
        table[phase * taps + k] = (float) v;
        sum += v;
      }
      // Normalise each phase to unity DC gain so no phase-dependent ripple modulates the level.
      for (int k = 0; k < taps; k++)
        table[phase * taps + k] = (float) (table[phase * taps + k] / sum);
    }
    return table;
  }

  /**
   * The Kaiser window (beta for {@link Resampler#STOPBAND_DB}) at x in [-1, 1], from a table of I0
   * values interpolated linearly: building a kernel then costs a table lookup per coefficient
   * instead of a Bessel series.
   */
  private static final class KaiserWindow {
    private static final int POINTS = 16_384;
    private static final double[] TABLE = new double[POINTS + 2];

    static {
      double beta = 0.1102 * (Resampler.STOPBAND_DB - 8.7);
      double i0Beta = besselI0(beta);
      for (int i = 0; i <= POINTS + 1; i++) {
        double x = Math.min(1.0, (double) i / POINTS);
        TABLE[i] = besselI0(beta * Math.sqrt(1 - x * x)) / i0Beta;
      }
    }

    static double at(double x) {
      double a = Math.abs(x);
      if (a >= 1) return 0;
      double p = a * POINTS;
      int i = (int) p;
      double t = p - i;
      return TABLE[i] + t * (TABLE[i + 1] - TABLE[i]);
    }
  }

  private static double besselI0(double x) {
    double sum = 1;
    double term = 1;
    double half = x / 2;
    for (int k = 1; k < 60; k++) {
      term *= (half / k) * (half / k);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return sum;
  }
}
