package com.mentra.bridge.load;

import java.util.Locale;

/**
 * The run's lines on stdout, each prefixed {@code [load]}, and the number formats they use.
 * Thread-safe: {@link System#out} serializes whole lines.
 */
final class Console {
  private Console() {}

  static void say(String format, Object... args) {
    System.out.println("[load] " + String.format(Locale.ROOT, format, args));
    System.out.flush();
  }

  /** Milliseconds with one decimal; "-" for an interval with no measurement. */
  static String ms(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.1f", v) : "-";
  }

  /** A duration the way a person reads it: seconds up to 2 minutes, then minutes, then hours. */
  static String human(double seconds) {
    if (seconds >= 3600) return String.format(Locale.ROOT, "%.1f h", seconds / 3600);
    if (seconds >= 120) return String.format(Locale.ROOT, "%.1f min", seconds / 60);
    return String.format(Locale.ROOT, "%.0f s", seconds);
  }
}
