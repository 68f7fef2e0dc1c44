package com.mentra.bridge.load;

import java.util.LinkedHashMap;
import java.util.Map;

/** How the run's figures are rounded and grouped for load.jsonl and the summary. Stateless. */
final class Figures {
  private Figures() {}

  /**
   * {@code v} to {@code digits} decimals; NaN and infinities unchanged (the JSON writer makes them
   * null).
   */
  static double round(double v, int digits) {
    if (!Double.isFinite(v)) return v;
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  static double finiteOr0(double v) {
    return Double.isFinite(v) ? v : 0;
  }

  /** A histogram as {count, p50, p99, max} in milliseconds. */
  static Map<String, Object> latencies(Histogram h) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", h.count());
    m.put("p50", round(h.percentileMs(50), 1));
    m.put("p99", round(h.percentileMs(99), 1));
    m.put("max", round(h.maxMs(), 1));
    return m;
  }

  /** A process's memory, threads and descriptors at one moment. */
  static Map<String, Object> process(Proc p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("rss_mb", round(p.rssMb(), 1));
    m.put("threads", p.threads());
    m.put("fds", p.fds());
    return m;
  }

  /**
   * Cores a process used between two readings; NaN when either is missing (no pid, or it ended).
   */
  static double cores(Proc now, Proc before) {
    return now == null || before == null ? Double.NaN : now.coresSince(before);
  }
}
