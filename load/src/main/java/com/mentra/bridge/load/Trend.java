package com.mentra.bridge.load;

import java.util.Arrays;

/** The soak's fits: least-squares slopes and a step test robust to short-lived fluctuation. */
final class Trend {
  private Trend() {}

  /** Least-squares slope of {@code y} over {@code t} (seconds), per hour; NaN with fewer than 2 points. */
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
   * Median of the last third minus median of the first third: how much a count grew over the
   * window, ignoring spikes (a playback track's encoder thread comes and goes) but not a step
   * that stays.
   */
  static double medianGrowth(double[] y) {
    int n = y.length;
    if (n < 3) return n == 2 ? y[1] - y[0] : 0;
    int third = Math.max(1, n / 3);
    return median(Arrays.copyOfRange(y, n - third, n)) - median(Arrays.copyOfRange(y, 0, third));
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
}
