package com.mentra.bridge.load;

import static com.mentra.bridge.load.Console.human;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * load.svg: the samples plotted ({@link SvgPlot}) under a heading of the summary's main figures,
 * with the soak's RSS fit when --soak. Stateless.
 */
final class LoadPlot {
  private LoadPlot() {}

  @SuppressWarnings("unchecked")
  static void write(LoadOptions o, Map<String, Object> s, List<Sample> samples) throws IOException {
    List<String> heading = new ArrayList<>();
    heading.add(
        String.format(
            Locale.ROOT,
            "LiveKit bridge load%s: %d sessions, %.0f phone packets/s each (%d B), %d streaming up, %d playing, %s",
            o.label.isEmpty() ? "" : " (" + o.label + ")",
            o.sessions,
            o.pps,
            o.bytes,
            o.uplinkSessions(),
            o.playSessions(),
            human((Double) s.get("load_seconds"))));
    Map<String, Object> per = (Map<String, Object>) s.get("per_session");
    Map<String, Object> load =
        (Map<String, Object>) ((Map<String, Object>) s.get("bridge")).get("load");
    heading.add(
        String.format(
            Locale.ROOT,
            "bridge: %.3f cores, RSS %.0f MB at the end, %.0f threads, %.0f FDs max%s",
            (Double) load.get("cores_avg"),
            (Double) load.get("rss_mb_end"),
            (Double) load.get("threads_avg"),
            (Double) load.get("fds_max"),
            per == null
                ? ""
                : String.format(
                    Locale.ROOT,
                    "; per session %.4f cores, %.2f MB, %.2f threads, %.1f FDs",
                    (Double) per.get("cores"),
                    (Double) per.get("rss_mb_load"),
                    (Double) per.get("threads"),
                    (Double) per.get("fds"))));
    Map<String, Object> down = (Map<String, Object>) s.get("down_ms");
    Map<String, Object> up = (Map<String, Object>) s.get("up_ms");
    Map<String, Object> join = (Map<String, Object>) s.get("join_ms");
    heading.add(
        String.format(
            Locale.ROOT,
            "livekit-server %.3f cores, phones %.3f cores, whole machine %.2f cores busy (%.2f of it other work)",
            (Double) s.get("livekit_cores_avg"),
            (Double) ((Map<String, Object>) s.get("phones")).get("cores_avg_load"),
            (Double) s.get("machine_cores_avg"),
            (Double) s.get("other_cores_avg")));
    heading.add(
        String.format(
            Locale.ROOT,
            "phone→client p50/p99/max %s/%s/%s ms%s; JoinRoom p50/p99 %s/%s ms",
            down.get("p50"),
            down.get("p99"),
            down.get("max"),
            (Long) up.get("count") == 0
                ? ""
                : "; client→listener "
                    + up.get("p50")
                    + "/"
                    + up.get("p99")
                    + "/"
                    + up.get("max")
                    + " ms",
            join.get("p50"),
            join.get("p99")));
    Map<String, Object> d = (Map<String, Object>) s.get("drops");
    heading.add(
        String.format(
            Locale.ROOT,
            "phone packets: %s sent, %s received, %s dropped by the bridge, %s lost before it, %s unaccounted",
            d.get("phone_packets_sent"),
            d.get("client_received"),
            d.get("bridge_dropped_chunks"),
            d.get("bridge_phone_packets_lost"),
            d.get("unaccounted")));
    double[] fit = null;
    double warm = -1;
    if (o.soak) {
      warm = o.warmup.toMillis() / 1000.0;
      double w = warm;
      List<Sample> after = samples.stream().filter(x -> x.t() >= w).toList();
      fit =
          Trend.fit(
              after.stream().mapToDouble(Sample::t).toArray(),
              after.stream().mapToDouble(Sample::rssMb).toArray());
      Map<String, Object> t = (Map<String, Object>) s.get("soak");
      heading.add(
          String.format(
              Locale.ROOT,
              "soak after %.0f s warm-up: RSS %s MB/h, threads %s/h (growth %s), FDs %s/h (growth %s): %s",
              warm,
              t.get("rss_mb_per_h"),
              t.get("threads_per_h"),
              t.get("threads_growth"),
              t.get("fds_per_h"),
              t.get("fds_growth"),
              Boolean.TRUE.equals(s.get("soak_passed"))
                  ? "PASSED"
                  : "FAILED " + s.get("soak_failures")));
    }
    SvgPlot.write(o.out.resolve("load.svg"), heading, samples, warm, fit);
  }
}
