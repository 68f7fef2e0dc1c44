package com.mentra.bridge.load;

import static com.mentra.bridge.load.Figures.round;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The soak's judgement (--soak): the bridge's RSS, threads and FDs fitted over the samples after
 * the warm-up, and the reasons the soak fails, if any. Stateless.
 */
final class SoakVerdict {
  /** The windows whose lowest RSS the information-only low-water fit uses. */
  static final double LOW_WINDOW_S = 300;

  private SoakVerdict() {}

  /** The summary's "soak" figures: slopes and ranges over the samples after the warm-up. */
  static Map<String, Object> trends(List<Sample> samples, Duration warmup) {
    double warm = warmup.toMillis() / 1000.0;
    List<Sample> after = samples.stream().filter(s -> s.t() >= warm).toList();
    double[] t = after.stream().mapToDouble(Sample::t).toArray();
    double[] rss = after.stream().mapToDouble(Sample::rssMb).toArray();
    double[] threads = after.stream().mapToDouble(Sample::threads).toArray();
    double[] fds = after.stream().mapToDouble(Sample::fds).toArray();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("warmup_s", warm);
    m.put("samples_fitted", after.size());
    m.put("window_s", t.length > 1 ? round(t[t.length - 1] - t[0], 1) : 0);
    m.put("rss_mb_per_h", round(Trend.slopePerHour(t, rss), 3));
    // Information, not a gate: RSS moves in a sawtooth (trims, GC cycles, compilations), and a
    // straight line through its samples can be pulled by where the last peaks fall.
    double[][] lows = Trend.windowLows(t, rss, LOW_WINDOW_S);
    m.put("rss_lows_window_s", (int) LOW_WINDOW_S);
    m.put("rss_lows_mb_per_h", round(Trend.slopePerHour(lows[0], lows[1]), 3));
    m.put("threads_per_h", round(Trend.slopePerHour(t, threads), 3));
    m.put("fds_per_h", round(Trend.slopePerHour(t, fds), 3));
    m.put("threads_growth", Trend.steadyGrowth(threads));
    m.put("fds_growth", Trend.steadyGrowth(fds));
    m.put("rss_mb_first", rss.length > 0 ? round(rss[0], 1) : Double.NaN);
    m.put("rss_mb_last", rss.length > 0 ? round(rss[rss.length - 1], 1) : Double.NaN);
    m.put("threads_range", range(threads));
    m.put("fds_range", range(fds));
    return m;
  }

  /**
   * Where the RSS slope goes: each part of the bridge's memory ({@link BridgeMemory}) fitted over
   * the readings after the warm-up, MB/h, with its first and last value. A leak shows as malloc in
   * use rising (with jemalloc, not known: "other" holds it); the JIT and the heap settling as the
   * code cache and the Java heap rising, the heap's live data after GC ("java_heap_live", when the
   * bridge's /metrics was read; not a part of RSS) flat. Empty with fewer than two readings.
   */
  static Map<String, Object> memoryTrends(List<BridgeMemory.Breakdown> readings, Duration warmup) {
    double warm = warmup.toMillis() / 1000.0;
    List<BridgeMemory.Breakdown> after = readings.stream().filter(b -> b.t() >= warm).toList();
    Map<String, Object> m = new LinkedHashMap<>();
    if (after.size() < 2) return m;
    double[] t = after.stream().mapToDouble(BridgeMemory.Breakdown::t).toArray();
    m.put("readings", after.size());
    part(m, "rss", t, after, BridgeMemory.Breakdown::rssMb);
    part(m, "java_heap", t, after, BridgeMemory.Breakdown::javaHeapMb);
    // Not a part of RSS: the heap's live data after its last collection, beside its pages.
    if (after.stream().allMatch(b -> Double.isFinite(b.javaHeapLiveMb())))
      part(m, "java_heap_live", t, after, BridgeMemory.Breakdown::javaHeapLiveMb);
    part(m, "code_cache", t, after, BridgeMemory.Breakdown::codeCacheMb);
    if (after.stream().allMatch(b -> b.allocator() == BridgeMemory.Allocator.GLIBC))
      part(m, "malloc_in_use", t, after, BridgeMemory.Breakdown::mallocInUseMb);
    part(m, "files", t, after, BridgeMemory.Breakdown::filesMb);
    part(m, "other", t, after, BridgeMemory.Breakdown::otherMb);
    return m;
  }

  private static void part(
      Map<String, Object> m,
      String name,
      double[] t,
      List<BridgeMemory.Breakdown> readings,
      ToDoubleFunction<BridgeMemory.Breakdown> value) {
    double[] y = readings.stream().mapToDouble(value).toArray();
    m.put(
        name,
        List.of(round(Trend.slopePerHour(t, y), 2), round(y[0], 1), round(y[y.length - 1], 1)));
  }

  private static List<Integer> range(double[] y) {
    if (y.length == 0) return List.of();
    return List.of(
        (int) Arrays.stream(y).min().getAsDouble(), (int) Arrays.stream(y).max().getAsDouble());
  }

  /**
   * Why the soak fails; empty when it passes.
   *
   * @param trends what {@link #trends} made of the samples
   * @param drops the packet accounting ({@link PacketAccounting#account})
   * @param maxRssSlopeMbPerHour the RSS gate; infinite: off
   */
  static List<String> failures(
      Map<String, Object> trends,
      Map<String, Object> drops,
      long joinFailures,
      double maxRssSlopeMbPerHour) {
    List<String> failures = new ArrayList<>();
    if ((Integer) trends.get("samples_fitted") < 3)
      failures.add(
          "only " + trends.get("samples_fitted") + " samples after the warm-up: nothing to fit");
    double rssSlope = (Double) trends.get("rss_mb_per_h");
    if (Double.isFinite(maxRssSlopeMbPerHour) && !(rssSlope <= maxRssSlopeMbPerHour)) {
      failures.add(
          String.format(
              Locale.ROOT, "RSS grows %.2f MB/h (gate %.2f)", rssSlope, maxRssSlopeMbPerHour));
    }
    if ((Double) trends.get("threads_growth") > 0) {
      failures.add(
          "threads grew by "
              + trends.get("threads_growth")
              + " (lowest of the last third of the samples against the highest of the first)");
    }
    if ((Double) trends.get("fds_growth") > 0) {
      failures.add(
          "FDs grew by "
              + trends.get("fds_growth")
              + " (lowest of the last third of the samples against the highest of the first)");
    }
    if ((Long) drops.get("unaccounted") > 0)
      failures.add(
          drops.get("unaccounted")
              + " phone packets neither received nor counted as dropped or lost");
    if ((Long) drops.get("stream_errors") > 0)
      failures.add(drops.get("stream_errors") + " StreamAudio calls ended with an error");
    if (joinFailures > 0) failures.add(joinFailures + " sessions did not join");
    return failures;
  }

  /**
   * The soak's last lines on stdout: its slopes against the gates, then PASSED or FAILED with the
   * reasons.
   */
  static void print(
      Map<String, Object> trends,
      Map<String, Object> drops,
      List<String> failures,
      double maxRssSlopeMbPerHour) {
    Console.say(
        "soak over %s s after a %s s warm-up: RSS %s MB/h (gate %s; its %s s lows %s MB/h, information), threads %s/h (growth %s), FDs %s/h (growth %s), unaccounted packets %s",
        trends.get("window_s"),
        trends.get("warmup_s"),
        trends.get("rss_mb_per_h"),
        Double.isFinite(maxRssSlopeMbPerHour) ? maxRssSlopeMbPerHour : "off",
        trends.get("rss_lows_window_s"),
        trends.get("rss_lows_mb_per_h"),
        trends.get("threads_per_h"),
        trends.get("threads_growth"),
        trends.get("fds_per_h"),
        trends.get("fds_growth"),
        drops.get("unaccounted"));
    @SuppressWarnings("unchecked")
    Map<String, Object> memory = (Map<String, Object>) trends.get("memory");
    if (memory != null && !memory.isEmpty()) {
      StringBuilder parts = new StringBuilder();
      for (Map.Entry<String, Object> e : memory.entrySet()) {
        if (!(e.getValue() instanceof List<?> v)) continue;
        parts.append(
            String.format(
                Locale.ROOT,
                "%n  %-14s %+7.2f MB/h  (%s -> %s MB)%s",
                e.getKey(),
                v.get(0),
                v.get(1),
                v.get(2),
                e.getKey().equals("java_heap_live") ? "  after GC: not a part of RSS" : ""));
      }
      Console.say(
          "RSS by owner over %s readings after the warm-up (slope, first -> last):%s",
          memory.get("readings"), parts);
    }
    if (failures.isEmpty()) Console.say("SOAK PASSED");
    else Console.say("SOAK FAILED: %s", String.join("; ", failures));
  }
}
