package com.mentra.bridge.load;

import static com.mentra.bridge.load.Console.say;
import static com.mentra.bridge.load.Figures.latencies;
import static com.mentra.bridge.load.Figures.round;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The run's summary: one map (load.jsonl's "summary" line, the plot's heading and the lines printed
 * at the end) of what the bridge cost idle, joined, under load and after, per session, and what the
 * load measured. Not thread-safe: built once the load is over, by the run's main thread.
 */
final class RunSummary {
  private final LoadOptions o;
  private final List<Sample> samples;
  private final Latencies latencies;
  private final Sessions sessions;
  private final Plays plays;
  private final Uplink uplink;

  /**
   * The bridge's figures at the phases around the load (each a {@link Sampler#measure} or {@link
   * Sampler#snapshot}).
   */
  record Phases(
      Map<String, Object> idle,
      Map<String, Object> joined,
      Map<String, Object> afterLoad,
      Map<String, Object> afterLeave) {}

  RunSummary(
      LoadOptions o,
      List<Sample> samples,
      Latencies latencies,
      Sessions sessions,
      Plays plays,
      Uplink uplink) {
    this.o = o;
    this.samples = samples;
    this.latencies = latencies;
    this.sessions = sessions;
    this.plays = plays;
    this.uplink = uplink;
  }

  /** What the load consisted of, as in the config line. */
  static Map<String, Object> mix(LoadOptions o) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("pps", o.pps);
    m.put("bytes", o.bytes);
    m.put("uplink_sessions", o.uplinkSessions());
    m.put("uplink_chunk_ms", o.uplinkChunkMs);
    m.put("play_sessions", o.playSessions());
    m.put("play_seconds", o.playSeconds);
    m.put("uplink_talk_s", o.uplinkPauseSeconds == 0 ? 0 : o.uplinkTalkSeconds);
    m.put("uplink_pause_s", o.uplinkPauseSeconds);
    m.put("play_pause_s", o.playPauseSeconds);
    m.put("listeners", o.listeners());
    m.put("single_pc_phones", o.singlePc);
    return m;
  }

  /**
   * @param phonesIdleCores the phones' CPU while the sessions were joined and idle (NaN: not read)
   * @param hotThreads the bridge's busiest threads over the load ({@link Proc#hotThreads})
   * @param bridgeMetrics what the bridge's /metrics said after the drain
   */
  Map<String, Object> build(
      Phases phases,
      Map<String, Object> drops,
      double loadSeconds,
      double joinSeconds,
      PhoneFleet phones,
      double phonesIdleCores,
      BridgeTarget bridge,
      List<Map<String, Object>> hotThreads,
      Map<String, Object> bridgeMetrics)
      throws java.io.IOException {
    Map<String, Object> idle = phases.idle();
    Map<String, Object> joined = phases.joined();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("label", o.label);
    m.put("sessions", o.sessions);
    m.put("mix", mix(o));
    m.put("load_seconds", round(loadSeconds, 1));
    // The first tenth of the samples is the load's own warm-up (JIT, buffers): averages leave it
    // out.
    List<Sample> steady =
        samples.size() > 4
            ? samples.subList(
                Math.min(samples.size() - 1, Math.max(1, samples.size() / 10)), samples.size())
            : samples;
    double cores =
        steady.stream()
            .mapToDouble(Sample::bridgeCores)
            .filter(Double::isFinite)
            .average()
            .orElse(Double.NaN);
    double lkCores =
        steady.stream()
            .mapToDouble(Sample::livekitCores)
            .filter(Double::isFinite)
            .average()
            .orElse(Double.NaN);
    double phCores =
        steady.stream()
            .mapToDouble(Sample::phonesCores)
            .filter(Double::isFinite)
            .average()
            .orElse(Double.NaN);
    double threads = steady.stream().mapToDouble(Sample::threads).average().orElse(Double.NaN);
    double threadsMax = samples.stream().mapToDouble(Sample::threads).max().orElse(Double.NaN);
    double fdsMax = samples.stream().mapToDouble(Sample::fds).max().orElse(Double.NaN);
    double rssEnd = samples.isEmpty() ? Double.NaN : samples.get(samples.size() - 1).rssMb();
    double rssMax = samples.stream().mapToDouble(Sample::rssMb).max().orElse(Double.NaN);
    Map<String, Object> bridgeFigures = new LinkedHashMap<>();
    bridgeFigures.put("idle", idle);
    bridgeFigures.put("joined", joined);
    bridgeFigures.put(
        "load",
        Map.of(
            "cores_avg",
            round(cores, 4),
            "rss_mb_end",
            round(rssEnd, 1),
            "rss_mb_max",
            round(rssMax, 1),
            "threads_avg",
            round(threads, 1),
            "threads_max",
            threadsMax,
            "fds_max",
            fdsMax));
    bridgeFigures.put("after_load", phases.afterLoad());
    bridgeFigures.put("after_leave", phases.afterLeave());
    m.put("bridge", bridgeFigures);
    if (idle.get("cores") instanceof Double idleCores) {
      int n = o.sessions;
      Map<String, Object> per = new LinkedHashMap<>();
      per.put("cores", round((cores - idleCores) / n, 5));
      per.put("cores_idle_session", round(((Double) joined.get("cores") - idleCores) / n, 5));
      per.put(
          "rss_mb_joined",
          round(((Double) joined.get("rss_mb") - (Double) idle.get("rss_mb")) / n, 3));
      per.put("rss_mb_load", round((rssEnd - (Double) idle.get("rss_mb")) / n, 3));
      per.put("threads", round((threads - (Integer) idle.get("threads")) / n, 3));
      per.put(
          "fds", round(((Integer) joined.get("fds") - (Integer) idle.get("fds")) / (double) n, 3));
      m.put("per_session", per);
    }
    m.put("livekit_cores_avg", round(lkCores, 4));
    double machine =
        steady.stream()
            .mapToDouble(Sample::machineCores)
            .filter(Double::isFinite)
            .average()
            .orElse(Double.NaN);
    double driver =
        steady.stream()
            .mapToDouble(Sample::driverCores)
            .filter(Double::isFinite)
            .average()
            .orElse(Double.NaN);
    m.put("driver_cores_avg", round(driver, 4));
    m.put("machine_cores_avg", round(machine, 3));
    // Everything else on the machine (other users' work): a busy machine inflates latencies.
    m.put("other_cores_avg", round(machine - cores - lkCores - phCores - driver, 3));
    m.put(
        "phones",
        Map.of(
            "cores_avg_load",
            round(phCores, 4),
            "cores_idle",
            round(phonesIdleCores, 4),
            "cores_per_phone_load",
            round(phCores / o.sessions, 5),
            "join_ms",
            Map.of(
                "p50",
                round(phones.joinMs.percentileMs(50), 1),
                "p99",
                round(phones.joinMs.percentileMs(99), 1)),
            "disconnects",
            phones.disconnects()));
    m.put("down_ms", latencies(latencies.downTotal));
    Map<String, Object> quiet = new LinkedHashMap<>(latencies(latencies.downQuiet));
    quiet.put("intervals", latencies.quietIntervals());
    quiet.put("of", samples.size());
    m.put("down_ms_quiet", quiet);
    m.put("up_ms", latencies(latencies.upTotal));
    Map<String, Object> join = new LinkedHashMap<>(latencies(sessions.joinMs));
    join.put("failed", sessions.joinFailures());
    join.put("all_seconds", round(joinSeconds, 1));
    m.put("join_ms", join);
    m.put("drops", drops);
    if (o.playSessions() > 0) m.put("plays", plays.figures());
    if (o.uplinkSessions() > 0) m.put("uplink", uplink.figures());
    m.put("bridge_threads_cpu", hotThreads);
    m.put("bridge_metrics", bridgeMetrics);
    Map<String, Object> log = bridge.logCounts();
    if (log != null) m.put("bridge_log", log);
    if (o.soak) m.put("soak", SoakVerdict.trends(samples, o.warmup));
    return m;
  }

  /** The summary's lines on stdout. */
  @SuppressWarnings("unchecked")
  static void print(LoadOptions o, Map<String, Object> s, List<String> problems) {
    say(
        "==== summary: %d sessions, %s, %.0f s of load",
        o.sessions, s.get("mix"), (Double) s.get("load_seconds"));
    Map<String, Object> b = (Map<String, Object>) s.get("bridge");
    say("bridge idle      %s", b.get("idle"));
    say("bridge joined    %s", b.get("joined"));
    say("bridge load      %s", b.get("load"));
    say("bridge left      %s", b.get("after_leave"));
    say("per session      %s", s.get("per_session"));
    say(
        "livekit-server   %.3f cores; phones %s",
        (Double) s.get("livekit_cores_avg"), s.get("phones"));
    say(
        "machine          %.2f cores busy, of which %.2f not this run's (load driver %.3f)",
        (Double) s.get("machine_cores_avg"),
        (Double) s.get("other_cores_avg"),
        (Double) s.get("driver_cores_avg"));
    say("phone->client ms %s", s.get("down_ms"));
    say(
        "  same, over the intervals in which other work used < %.1f cores: %s",
        Sampler.QUIET_OTHER_CORES, s.get("down_ms_quiet"));
    if (o.listeners() > 0) say("client->listener ms %s", s.get("up_ms"));
    say("JoinRoom ms      %s", s.get("join_ms"));
    say("drops            %s", s.get("drops"));
    if (s.containsKey("plays")) say("plays            %s", s.get("plays"));
    if (s.containsKey("uplink")) say("uplink           %s", s.get("uplink"));
    if (s.containsKey("bridge_log")) say("bridge log       %s", s.get("bridge_log"));
    Map<String, Object> bridgeMetrics = (Map<String, Object>) s.get("bridge_metrics");
    for (String k :
        List.of(
            "livekit_bridge_downlink_latency_seconds{source=\"data_packet\"}",
            "livekit_bridge_uplink_latency_seconds",
            "livekit_bridge_clock_tick_lateness_seconds")) {
      if (bridgeMetrics.containsKey(k)) say("bridge /metrics  %s %s", k, bridgeMetrics.get(k));
    }
    List<Map<String, Object>> hotThreads = (List<Map<String, Object>>) s.get("bridge_threads_cpu");
    say(
        "bridge CPU by thread (cores over the load) %s",
        hotThreads.stream()
            .map(h -> h.get("thread") + " x" + h.get("count") + " " + h.get("cores"))
            .toList());
    if (s.containsKey("soak")) say("soak slopes      %s", s.get("soak"));
    if (!problems.isEmpty())
      say("problems (%d): %s", problems.size(), problems.subList(0, Math.min(5, problems.size())));
  }
}
