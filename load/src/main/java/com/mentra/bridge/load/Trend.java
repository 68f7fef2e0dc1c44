package com.mentra.bridge.load;

import java.util.Arrays;

/** The soak's fits: least-squares slopes and a step test robust to short-lived fluctuation. */
final class Trend {
  private Trend() {}

  /**
   * Least-squares slope of {@code y} over {@code t} (seconds), per hour; NaN with fewer than 2
   * points.
   */
  static double slopePerHour(double[] t, double[] y) {
    return fit(t, y)[0] * 3600;
  }

  /** {slope per second, intercept}. */
  static double[] fit(double[] t, double[] y) {
    int n = t.length;
    if (n < 2) return new double[] {Double.NaN, Double.NaN};
    double mt = Arrays.stream(t).average().orElse(0);
    double my = Arrays.stream(y).average().orElse(0);
    double num = 0;
    double den = 0;
    for (int i = 0; i < n; i++) {
      num += (t[i] - mt) * (y[i] - my);
      den += (t[i] - mt) * (t[i] - mt);
    }
    double slope = den == 0 ? 0 : num / den;
    return new double[] {slope, my - slope * mt};
  }

  /**
   * How far a count rose to stay: the lowest value of the last third of the samples minus the
   * highest of the first third. Positive only when every late sample exceeds every early one, so
   * threads that come and go (a playback track's encoder, a pool's idle worker) are no growth, but
   * a thread or descriptor that leaked and stayed is.
   */
  static double steadyGrowth(double[] y) {
    int n = y.length;
    if (n < 2) return 0;
    int third = Math.max(1, n / 3);
    double firstMax = Arrays.stream(y, 0, third).max().getAsDouble();
    double lastMin = Arrays.stream(y, n - third, n).min().getAsDouble();
    return lastMin - firstMax;
  }

  /**
   * The lowest point of each whole {@code windowSeconds} window of {@code t} (seconds from the
   * first sample), as {t of the low, the low}: the low-water marks a leak raises, while the peaks
   * of a sawtooth (a trim, a GC cycle, a short-lived compilation) fall out. A last window shorter
   * than half a window is dropped, so a run's final few samples cannot decide it alone.
   */
  static double[][] windowLows(double[] t, double[] y, double windowSeconds) {
    int n = t.length;
    if (n == 0) return new double[][] {new double[0], new double[0]};
    double start = t[0];
    int windows = (int) Math.floor((t[n - 1] - start) / windowSeconds) + 1;
    double[] lowT = new double[windows];
    double[] low = new double[windows];
    Arrays.fill(low, Double.POSITIVE_INFINITY);
    for (int i = 0; i < n; i++) {
      int w = (int) Math.floor((t[i] - start) / windowSeconds);
      if (y[i] < low[w]) {
        low[w] = y[i];
        lowT[w] = t[i];
      }
    }
    int kept = windows;
    if (windows > 1 && t[n - 1] - (start + (windows - 1) * windowSeconds) < windowSeconds / 2)
      kept--;
    return new double[][] {Arrays.copyOf(lowT, kept), Arrays.copyOf(low, kept)};
  }
}
