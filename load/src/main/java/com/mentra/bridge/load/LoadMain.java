package com.mentra.bridge.load;

import static com.mentra.bridge.load.Console.human;
import static com.mentra.bridge.load.Console.say;
import static com.mentra.bridge.load.Figures.round;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bridge's load and soak tool (scripts/load.sh; options in {@link LoadOptions#USAGE}).
 *
 * <p>It starts livekit-server (or uses LIVEKIT_URL), the packaged bridge as its own process, a
 * local HTTP server for the PlayAudio WAV, and the phones (one lkb-phones process, LiveKit's Go
 * SDK). Then: the bridge idle; N sessions joined (JoinRoom + StreamAudio, as the cloud does) and
 * idle; the load (phones send stamped PCM data packets, a share of the sessions streams PCM up, a
 * share plays a URL in a loop), sampled every interval; the drain and the accounting of every
 * packet; the sessions left. Each step's figures go to stdout, to {@code load.jsonl} (one JSON
 * object a line: config, phase, sample, summary) and, at the end, to {@code load.svg}.
 *
 * <p>This class is the run's order of steps; each step's work is in its own class. Not thread-safe:
 * one run, on the main thread.
 */
public final class LoadMain {
  private final LoadOptions o;
  private final JsonLines jsonl;

  /** What went wrong in single sessions and calls: reported, not fatal. */
  private final List<String> problems = Collections.synchronizedList(new ArrayList<>());

  private final Latencies latencies = new Latencies();
  private final Sampler sampler;

  private LoadMain(LoadOptions o) throws IOException {
    this.o = o;
    Files.createDirectories(o.out);
    this.jsonl = new JsonLines(o.out.resolve("load.jsonl"));
    this.sampler = new Sampler(o, jsonl, latencies);
  }

  public static void main(String[] args) throws Exception {
    LoadOptions o;
    try {
      o = LoadOptions.parse(args);
    } catch (LoadOptions.UsageException e) {
      if (!e.getMessage().isEmpty()) System.err.println("load: " + e.getMessage());
      System.err.print(LoadOptions.USAGE);
      System.exit(e.getMessage().isEmpty() ? 0 : 2);
      return;
    }
    int code = new LoadMain(o).run();
    System.exit(code);
  }

  /** The whole run; the exit code (1: the soak failed, or the run did not hold its load). */
  private int run() throws Exception {
    String nodeIp = Env.get("LKB_NODE_IP", "127.0.0.1");
    if (o.quietBelow > 0) Sampler.waitForQuiet(o.quietBelow);
    LiveKitTarget liveKit = null;
    WavServer wavServer = null;
    BridgeTarget bridge = null;
    BridgeClient client = null;
    PhoneFleet phones = null;
    Plays plays = null;
    try {
      liveKit = LiveKitTarget.startOrUse(nodeIp, o.out);
      if (o.playSessions() > 0) wavServer = new WavServer(nodeIp, o.playSeconds);
      String wavUrl = wavServer == null ? null : wavServer.url;
      bridge = BridgeTarget.startOrAttach(o, nodeIp, liveKit);
      writeConfig(liveKit.url(), bridge.address(), bridge.pid(), wavUrl);
      client = new BridgeClient(bridge.address(), bridge.token());
      Long bridgePid = bridge.pid();

      // ---- idle bridge, after one session joined and left (see BridgeClient.warmUp)
      client.warmUp();
      Thread.sleep(3_000); // the warm-up's leave and start-up's JIT settle
      Map<String, Object> idle = sampler.measure("idle", bridgePid, 5_000);

      // ---- phones
      Sessions sessions = new Sessions(o, latencies, problems);
      Uplink uplink = new Uplink(o, sessions.all, latencies);
      List<Integer> listeners = new ArrayList<>();
      for (int i = 0; i < o.listeners(); i++) listeners.add(i);
      long phonesStart = System.nanoTime();
      phones =
          new PhoneFleet(
              o.phones,
              liveKit.url(),
              liveKit.apiKey(),
              liveKit.apiSecret(),
              o.sessions,
              o.bytes,
              listeners,
              o.singlePc,
              o.out.resolve("phones.log"),
              uplink::heard);
      JsonNode ready = phones.awaitReady(60 + o.sessions);
      say(
          "phones: %d joined, %d failed in %.1f s (join p50 %.0f ms, p99 %.0f ms)",
          ready.path("joined").asInt(),
          ready.path("failed").asInt(),
          (System.nanoTime() - phonesStart) / 1e9,
          phones.joinMs.percentileMs(50),
          phones.joinMs.percentileMs(99));
      Proc phonesIdleStart = Proc.read(phones.pid());

      // ---- sessions: JoinRoom then StreamAudio, C at a time
      double joinSeconds = sessions.joinAll(client);
      long joinFailures = sessions.joinFailures();
      say(
          "sessions: %d joined, %d failed in %.1f s (JoinRoom p50 %.0f ms, p99 %.0f ms, max %.0f ms)",
          o.sessions - joinFailures,
          joinFailures,
          joinSeconds,
          sessions.joinMs.percentileMs(50),
          sessions.joinMs.percentileMs(99),
          sessions.joinMs.maxMs());
      Thread.sleep(2_000); // data channels open, streams attached
      Map<String, Object> joined = sampler.measure("joined", bridgePid, 5_000);
      Proc phonesIdleEnd = Proc.read(phones.pid());
      if (bridgePid != null)
        say(
            "bridge OS threads by name with %d sessions: %s",
            o.sessions, Proc.threadNames(bridgePid));

      // ---- load
      plays = new Plays(o, client.async, problems);
      Map<Long, Object[]> threadsAtStart = bridgePid == null ? null : Proc.threadTicks(bridgePid);
      long loadStartNanos = System.nanoTime();
      if (o.pps > 0) phones.startSending(o.pps);
      if (o.uplinkSessions() > 0) uplink.start();
      if (wavUrl != null) plays.start(sessions.all, wavUrl);
      say(
          "load: %d sessions, phones %.0f packets/s of %d bytes each, %d streaming up, %d playing, %d listening, for %s",
          o.sessions,
          o.pps,
          o.bytes,
          o.uplinkSessions(),
          o.playSessions(),
          o.listeners(),
          human(o.duration.toMillis() / 1000.0));
      sampler.sampleLoad(
          bridgePid, bridge.metricsUrl(), liveKit.pid(), phones, plays, loadStartNanos);
      double loadSeconds = (System.nanoTime() - loadStartNanos) / 1e9;
      List<Map<String, Object>> hotThreads =
          threadsAtStart == null
              ? List.of()
              : Proc.hotThreads(threadsAtStart, Proc.threadTicks(bridgePid), loadSeconds, 12);

      // ---- stop and account for every packet
      plays.endLoad();
      long[][] sentAndErrors =
          o.pps > 0
              ? phones.stopSending()
              : new long[][] {new long[o.sessions], new long[o.sessions]};
      uplink.stop();
      plays.stop();
      double drainSeconds = drain(Arrays.stream(sentAndErrors[0]).filter(n -> n > 0).sum());
      Map<String, Object> drops =
          PacketAccounting.account(sessions.all, client, sentAndErrors, problems);
      drops.put("drain_seconds", round(drainSeconds, 1));
      Map<String, Object> bridgeMetrics =
          bridge.metricsUrl() == null ? Map.of() : BridgeMetricsScrape.scrape(bridge.metricsUrl());
      Map<String, Object> afterLoad = sampler.snapshot("after_load", bridgePid);

      // ---- leave
      sessions.leaveAll(client);
      Thread.sleep(5_000);
      Map<String, Object> afterLeave = sampler.snapshot("after_leave", bridgePid);
      // What outlives the sessions: pools that shrink on their own (gRPC's executor after 60 s
      // idle) or a leak.
      if (bridgePid != null)
        say("bridge OS threads by name after leaving: %s", Proc.threadNames(bridgePid));

      // ---- summary, soak verdict, plot
      Map<String, Object> summary =
          new RunSummary(o, sampler.samples(), latencies, sessions, plays, uplink)
              .build(
                  new RunSummary.Phases(idle, joined, afterLoad, afterLeave),
                  drops,
                  loadSeconds,
                  joinSeconds,
                  phones,
                  Figures.cores(phonesIdleEnd, phonesIdleStart),
                  bridge,
                  hotThreads,
                  bridgeMetrics);
      @SuppressWarnings("unchecked")
      Map<String, Object> trends = o.soak ? (Map<String, Object>) summary.get("soak") : null;
      if (trends != null)
        trends.put("memory", SoakVerdict.memoryTrends(sampler.memory(), o.warmup));
      List<String> failures =
          o.soak
              ? SoakVerdict.failures(trends, drops, joinFailures, o.maxRssSlopeMbPerHour)
              : List.of();
      if (o.soak) {
        summary.put("soak_failures", failures);
        summary.put("soak_passed", failures.isEmpty());
      }
      boolean judgeHold = !Double.isNaN(o.holdP99Ms);
      @SuppressWarnings("unchecked")
      List<String> holdFailures =
          judgeHold
              ? HoldVerdict.failures(
                  (Map<String, Object>) summary.get("down_ms"), drops, joinFailures, o.holdP99Ms)
              : List.of();
      if (judgeHold) {
        summary.put("hold_p99_ms", o.holdP99Ms);
        summary.put("hold_failures", holdFailures);
        summary.put("held", holdFailures.isEmpty());
      }
      summary.put("problems", problems.size() > 50 ? problems.subList(0, 50) : problems);
      summary.put("problem_count", problems.size() + phones.problems.size());
      summary.put(
          "phone_problems",
          phones.problems.size() > 20 ? phones.problems.subList(0, 20) : phones.problems);
      jsonl.write("summary", summary);
      RunSummary.print(o, summary, problems);
      LoadPlot.write(o, summary, sampler.samples());
      if (o.soak) SoakVerdict.print(trends, drops, failures, o.maxRssSlopeMbPerHour);
      if (judgeHold) HoldVerdict.print(o.sessions, holdFailures, o.holdP99Ms);
      return failures.isEmpty() && holdFailures.isEmpty() ? 0 : 1;
    } finally {
      if (plays != null) plays.endLoad();
      if (client != null) client.close();
      if (phones != null) phones.close();
      if (bridge != null) bridge.close();
      if (liveKit != null) liveKit.close();
      if (wavServer != null) wavServer.close();
      jsonl.close();
      say("output: %s (load.jsonl, load.svg, bridge.log, livekit.log, phones.log)", o.out);
    }
  }

  /**
   * Waits until every packet the phones sent is received, or nothing new arrived for 3 s (at most
   * 60 s: an overloaded run can be far behind, and what is still in flight then counts as
   * unaccounted); returns the seconds it waited.
   */
  private double drain(long sentAll) throws InterruptedException {
    long drainStart = System.nanoTime();
    long lastProgress = drainStart;
    long before = latencies.received.sum();
    while (latencies.received.sum() < sentAll
        && System.nanoTime() - lastProgress < 3_000_000_000L
        && System.nanoTime() - drainStart < 60_000_000_000L) {
      Thread.sleep(100);
      long now = latencies.received.sum();
      if (now != before) {
        before = now;
        lastProgress = System.nanoTime();
      }
    }
    double drainSeconds = (System.nanoTime() - drainStart) / 1e9;
    latencies.bankRemainder();
    say(
        "drain: %d of %d phone packets received, %.1f s after the phones stopped",
        latencies.received.sum(), sentAll, drainSeconds);
    return drainSeconds;
  }

  private void writeConfig(String lkUrl, String bridgeAddress, Long bridgePid, String wavUrl) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("label", o.label);
    m.put("sessions", o.sessions);
    m.put("mix", RunSummary.mix(o));
    m.put("duration_s", o.duration.toMillis() / 1000.0);
    m.put("sample_s", o.sample.toMillis() / 1000.0);
    m.put("soak", o.soak);
    if (o.soak) {
      m.put("warmup_s", o.warmup.toMillis() / 1000.0);
      m.put(
          "max_rss_slope_mb_per_h",
          Double.isFinite(o.maxRssSlopeMbPerHour) ? o.maxRssSlopeMbPerHour : "off");
    }
    m.put("livekit_url", lkUrl);
    m.put("bridge", bridgeAddress);
    m.put("bridge_pid", bridgePid);
    m.put("bridge_java_opts", o.bridgeJavaOpts);
    m.put("bridge_env", o.bridgeEnv);
    m.put("wav_url", wavUrl);
    m.put("cpus", Runtime.getRuntime().availableProcessors());
    jsonl.write("config", m);
  }
}
