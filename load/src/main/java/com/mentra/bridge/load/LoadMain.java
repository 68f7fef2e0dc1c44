package com.mentra.bridge.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.protobuf.ByteString;
import com.mentra.bridge.api.AudioChunk;
import com.mentra.bridge.api.BridgeStatusRequest;
import com.mentra.bridge.api.BridgeStatusResponse;
import com.mentra.bridge.api.JoinRoomRequest;
import com.mentra.bridge.api.JoinRoomResponse;
import com.mentra.bridge.api.LeaveRoomRequest;
import com.mentra.bridge.api.LiveKitBridgeGrpc;
import com.mentra.bridge.api.PlayAudioEvent;
import com.mentra.bridge.api.PlayAudioRequest;
import com.sun.net.httpserver.HttpServer;
import io.grpc.CallCredentials;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.BufferedWriter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

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
 */
public final class LoadMain {
  private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
  /** An interval is quiet when the machine's work outside this run stayed below this many cores. */
  static final double QUIET_OTHER_CORES = 0.3;
  private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final LoadOptions o;
  private final BufferedWriter jsonl;
  private final List<Sample> samples = new ArrayList<>();
  private final Histogram downInterval = new Histogram();
  private final Histogram downTotal = new Histogram();
  /** Phone -> client latency over the intervals in which other work used less than QUIET_OTHER_CORES of the machine. */
  private final Histogram downQuiet = new Histogram();
  private long quietIntervals;
  private final Histogram upInterval = new Histogram();
  private final Histogram upTotal = new Histogram();
  private final Histogram joinMs = new Histogram();
  private final Histogram playStartMs = new Histogram();
  private final LongAdder received = new LongAdder();
  private final AtomicLong playsStarted = new AtomicLong();
  private final AtomicLong unmatchedBursts = new AtomicLong();
  /** Bursts whose heard length is no burst length sent: cut or stretched on the way (underruns, drops). */
  private final AtomicLong distortedBursts = new AtomicLong();
  /** Heard burst lengths, rounded to 20 ms (one Opus frame): how faithfully the uplink carries audio. */
  private final Map<Integer, Long> heardBurstMs = new java.util.concurrent.ConcurrentSkipListMap<>();
  private final AtomicLong playsCompleted = new AtomicLong();
  private final AtomicLong playsFailed = new AtomicLong();
  private final List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
  private final List<Session> sessions = new ArrayList<>();
  private volatile boolean loadRunning;
  /** The bridge's Prometheus endpoint, when this tool started the bridge. */
  private String metricsUrl;
  /** What /metrics said after the drain. */
  private Map<String, Object> bridgeMetrics = Map.of();
  /** The bridge's busiest threads over the load, by name. */
  private List<Map<String, Object>> hotThreads = List.of();

  private LoadMain(LoadOptions o) throws IOException {
    this.o = o;
    Files.createDirectories(o.out);
    this.jsonl = Files.newBufferedWriter(o.out.resolve("load.jsonl"));
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

  private int run() throws Exception {
    String nodeIp = env("LKB_NODE_IP", "127.0.0.1");
    if (o.quietBelow > 0) waitForQuiet();
    LocalLiveKit localLiveKit = null;
    BridgeProcess bridge = null;
    PhoneFleet phones = null;
    HttpServer http = null;
    ManagedChannel channel = null;
    try {
      // ---- LiveKit
      String lkUrl = System.getenv("LIVEKIT_URL");
      String apiKey = System.getenv("LIVEKIT_API_KEY");
      String apiSecret = System.getenv("LIVEKIT_API_SECRET");
      if (lkUrl == null || lkUrl.isBlank()) {
        Path binary = Path.of(env("LKB_LIVEKIT_SERVER_BIN", null));
        localLiveKit = new LocalLiveKit(binary, nodeIp, Integer.parseInt(env("LKB_LIVEKIT_PORT", "7880")), o.out);
        lkUrl = localLiveKit.url;
        apiKey = localLiveKit.apiKey;
        apiSecret = localLiveKit.apiSecret;
        say("livekit-server %s started on %s (pid %d)", "v1.13.5", lkUrl, localLiveKit.pid());
      } else if (apiKey == null || apiSecret == null) {
        throw new IllegalStateException("LIVEKIT_URL needs LIVEKIT_API_KEY and LIVEKIT_API_SECRET (the phones mint their tokens)");
      }

      // ---- the WAV the playing sessions fetch
      String wavUrl = null;
      if (o.playSessions() > 0) {
        byte[] wav = wav(440, o.playSeconds, 16_000);
        http = HttpServer.create(new InetSocketAddress(nodeIp, 0), 64);
        http.createContext("/tone.wav", exchange -> {
          exchange.getResponseHeaders().add("Content-Type", "audio/wav");
          exchange.sendResponseHeaders(200, wav.length);
          try (var body = exchange.getResponseBody()) {
            body.write(wav);
          }
        });
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        http.start();
        wavUrl = "http://" + nodeIp + ":" + http.getAddress().getPort() + "/tone.wav";
      }

      // ---- the bridge
      String bridgeToken;
      String address;
      Long bridgePid;
      if (o.bridgeAddress == null) {
        bridgeToken = "load-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        int port = freePort(nodeIp);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PORT", String.valueOf(port));
        env.put("BIND_ADDRESS", nodeIp);
        int metricsPort = freePort(nodeIp);
        env.put("METRICS_PORT", String.valueOf(metricsPort));
        metricsUrl = "http://" + nodeIp + ":" + metricsPort + "/metrics";
        env.put("LIVEKIT_URL", lkUrl);
        env.put("LIVEKIT_API_KEY", apiKey);
        env.put("LIVEKIT_API_SECRET", apiSecret);
        env.put("BRIDGE_AUTH_TOKENS", bridgeToken);
        env.put("AUDIO_URL_ALLOW_PRIVATE", "true");
        env.put("MAX_SESSIONS", String.valueOf(Math.max(500, o.sessions + 10)));
        env.put("LOG_LEVEL", "WARN");
        env.putAll(o.bridgeEnv);
        Path java = Path.of(env("LKB_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        Path jar = Path.of(env("LKB_BRIDGE_JAR", "bridge-server/target/bridge-server-0.1.0-SNAPSHOT.jar"));
        bridge = new BridgeProcess(java, jar, o.bridgeJavaOpts, env, nodeIp + ":" + port, o.out.resolve("bridge.log"));
        address = bridge.address;
        bridgePid = bridge.pid();
        say("bridge started on %s (pid %d, JVM options %s)", address, bridgePid, o.bridgeJavaOpts.isEmpty() ? "none" : String.join(" ", o.bridgeJavaOpts));
      } else {
        bridgeToken = System.getenv("BRIDGE_TOKEN");
        address = o.bridgeAddress;
        bridgePid = o.bridgePid;
        say("using the bridge at %s%s", address, bridgePid == null ? " (no pid: no process figures)" : " (pid " + bridgePid + ")");
      }
      writeConfig(lkUrl, address, bridgePid, wavUrl);

      channel = NettyChannelBuilder.forTarget(address).usePlaintext().directExecutor()
          .maxInboundMessageSize(8 << 20).build();
      CallCredentials credentials = bearer(bridgeToken);
      LiveKitBridgeGrpc.LiveKitBridgeBlockingStub blocking = LiveKitBridgeGrpc.newBlockingStub(channel).withCallCredentials(credentials);
      LiveKitBridgeGrpc.LiveKitBridgeStub async = LiveKitBridgeGrpc.newStub(channel).withCallCredentials(credentials);

      // ---- idle bridge: after one session joined and left, so what the first session creates for
      // all (peer connection factories, pools) counts as fixed cost, not as the sessions' cost
      try {
        JoinRoomResponse r = blocking.withDeadlineAfter(60, TimeUnit.SECONDS).joinRoom(JoinRoomRequest.newBuilder()
            .setUserId("warmup").setRoomName("load-warmup").build());
        if (!r.getSuccess()) throw new IllegalStateException(r.getError());
        blocking.withDeadlineAfter(30, TimeUnit.SECONDS).leaveRoom(LeaveRoomRequest.newBuilder().setUserId("warmup").setReason("warm-up").build());
      } catch (RuntimeException e) {
        throw new IllegalStateException("the warm-up session failed: " + e.getMessage(), e);
      }
      Thread.sleep(3_000); // the warm-up's leave and start-up's JIT settle
      Map<String, Object> idle = measure("idle", bridgePid, 5_000);

      // ---- phones
      List<Integer> listeners = new ArrayList<>();
      for (int i = 0; i < o.listeners(); i++) listeners.add(i);
      long phonesStart = System.nanoTime();
      phones = new PhoneFleet(o.phones, lkUrl, apiKey, apiSecret, o.sessions, o.bytes, listeners, o.singlePc, o.out.resolve("phones.log"),
          (index, at, lengthMs) -> {
            if (index < sessions.size()) {
              heardBurstMs.merge((int) (Math.round(lengthMs / 20.0) * 20), 1L, Long::sum);
              int lengthClass = burstClass(lengthMs);
              long latency = lengthClass < 0 ? -1 : sessions.get(index).burstLatency(at, lengthClass);
              if (lengthClass < 0) distortedBursts.incrementAndGet();
              else if (latency >= 0) upInterval.record(latency);
              else unmatchedBursts.incrementAndGet();
            }
          });
      JsonNode ready = phones.awaitReady(60 + o.sessions);
      say("phones: %d joined, %d failed in %.1f s (join p50 %.0f ms, p99 %.0f ms)", ready.path("joined").asInt(), ready.path("failed").asInt(),
          (System.nanoTime() - phonesStart) / 1e9, phones.joinMs.percentileMs(50), phones.joinMs.percentileMs(99));
      Proc phonesIdleStart = Proc.read(phones.pid());

      // ---- sessions: JoinRoom then StreamAudio, C at a time
      for (int i = 0; i < o.sessions; i++) sessions.add(new Session(i, downInterval, received));
      long joinStart = System.nanoTime();
      AtomicLong joinFailures = new AtomicLong();
      try (ExecutorService pool = Executors.newFixedThreadPool(o.joinConcurrency)) {
        List<Future<?>> joins = new ArrayList<>();
        for (Session s : sessions) {
          joins.add(pool.submit(() -> {
            long t0 = System.nanoTime();
            try {
              JoinRoomResponse r = blocking.withDeadlineAfter(60, TimeUnit.SECONDS).joinRoom(JoinRoomRequest.newBuilder()
                  .setUserId(s.userId).setRoomName(s.room).setTargetIdentity(s.userId).build());
              if (!r.getSuccess()) throw new IllegalStateException(r.getError());
              joinMs.record((System.nanoTime() - t0) / 1_000);
              s.joinedAtNanos = System.nanoTime();
              s.open(async);
            } catch (RuntimeException e) {
              joinFailures.incrementAndGet();
              problems.add(s.userId + " did not join: " + e.getMessage());
            }
          }));
        }
        for (Future<?> f : joins) f.get();
      }
      double joinSeconds = (System.nanoTime() - joinStart) / 1e9;
      say("sessions: %d joined, %d failed in %.1f s (JoinRoom p50 %.0f ms, p99 %.0f ms, max %.0f ms)", o.sessions - joinFailures.get(),
          joinFailures.get(), joinSeconds, joinMs.percentileMs(50), joinMs.percentileMs(99), joinMs.maxMs());
      Thread.sleep(2_000); // data channels open, streams attached
      Map<String, Object> joined = measure("joined", bridgePid, 5_000);
      Proc phonesIdleEnd = Proc.read(phones.pid());
      if (bridgePid != null) {
        say("bridge OS threads by name with %d sessions: %s", o.sessions, Proc.threadNames(bridgePid));
      }

      // ---- load
      ScheduledExecutorService uplink = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("uplink").daemon().unstarted(r));
      List<Context.CancellableContext> playContexts = java.util.Collections.synchronizedList(new ArrayList<>());
      List<Thread> players = new ArrayList<>();
      loadRunning = true;
      java.util.Map<Long, Object[]> threadsAtStart = bridgePid == null ? null : Proc.threadTicks(bridgePid);
      long loadStartNanos = System.nanoTime();
      if (o.pps > 0) phones.startSending(o.pps);
      if (o.uplinkSessions() > 0) startUplink(uplink);
      if (wavUrl != null) {
        for (Session s : sessions) {
          if (o.plays(s.index)) players.add(startPlayer(s, async, wavUrl, playContexts));
        }
      }
      say("load: %d sessions, phones %.0f packets/s of %d bytes each, %d streaming up, %d playing, %d listening, for %s",
          o.sessions, o.pps, o.bytes, o.uplinkSessions(), o.playSessions(), o.listeners(), human(o.duration.toMillis() / 1000.0));
      sampleLoop(bridgePid, localLiveKit == null ? null : localLiveKit.pid(), phones, loadStartNanos);
      double loadSeconds = (System.nanoTime() - loadStartNanos) / 1e9;
      hotThreads = threadsAtStart == null ? List.of() : Proc.hotThreads(threadsAtStart, Proc.threadTicks(bridgePid), loadSeconds, 12);

      // ---- stop and account for every packet
      loadRunning = false;
      long[][] sentAndErrors = o.pps > 0 ? phones.stopSending() : new long[][] {new long[o.sessions], new long[o.sessions]};
      uplink.shutdownNow();
      synchronized (playContexts) {
        for (Context.CancellableContext c : playContexts) c.cancel(null);
      }
      for (Thread t : players) t.join(10_000);
      // Drained: every packet the phones sent received, or nothing new for 3 s (at most 60 s: an
      // overloaded run can be far behind, and what is still in flight then counts as unaccounted).
      long sentAll = java.util.Arrays.stream(sentAndErrors[0]).filter(n -> n > 0).sum();
      long drainStart = System.nanoTime();
      long lastProgress = drainStart;
      long before = received.sum();
      while (received.sum() < sentAll && System.nanoTime() - lastProgress < 3_000_000_000L && System.nanoTime() - drainStart < 60_000_000_000L) {
        Thread.sleep(100);
        long now = received.sum();
        if (now != before) {
          before = now;
          lastProgress = System.nanoTime();
        }
      }
      double drainSeconds = (System.nanoTime() - drainStart) / 1e9;
      downInterval.drainInto(downTotal); // what arrived after the last sample
      upInterval.drainInto(upTotal);
      say("drain: %d of %d phone packets received, %.1f s after the phones stopped", received.sum(), sentAll, drainSeconds);
      Map<String, Object> drops = account(blocking, sentAndErrors);
      drops.put("drain_seconds", round(drainSeconds, 1));
      if (metricsUrl != null) bridgeMetrics = BridgeMetricsScrape.scrape(metricsUrl);
      Map<String, Object> afterLoad = snapshot("after_load", bridgePid);

      // ---- leave
      try (ExecutorService pool = Executors.newFixedThreadPool(o.joinConcurrency)) {
        for (Session s : sessions) {
          pool.submit(() -> {
            s.finish();
            try {
              blocking.withDeadlineAfter(30, TimeUnit.SECONDS).leaveRoom(LeaveRoomRequest.newBuilder().setUserId(s.userId).setReason("load tool done").build());
            } catch (RuntimeException e) {
              problems.add(s.userId + " LeaveRoom: " + e.getMessage());
            }
          });
        }
      }
      Thread.sleep(5_000);
      Map<String, Object> afterLeave = snapshot("after_leave", bridgePid);

      // ---- summary, soak verdict, plot
      Map<String, Object> summary = summary(idle, joined, afterLoad, afterLeave, drops, loadSeconds, joinSeconds, joinFailures.get(), phones,
          phonesIdleStart, phonesIdleEnd, bridge);
      List<String> failures = o.soak ? soakVerdict(summary, drops, joinFailures.get()) : List.of();
      if (o.soak) {
        summary.put("soak_failures", failures);
        summary.put("soak_passed", failures.isEmpty());
      }
      summary.put("problems", problems.size() > 50 ? problems.subList(0, 50) : problems);
      summary.put("problem_count", problems.size() + phones.problems.size());
      summary.put("phone_problems", phones.problems.size() > 20 ? phones.problems.subList(0, 20) : phones.problems);
      write("summary", summary);
      printSummary(summary);
      plot(summary);
      if (o.soak) {
        @SuppressWarnings("unchecked")
        Map<String, Object> t = (Map<String, Object>) summary.get("soak");
        say("soak over %s s after a %s s warm-up: RSS %s MB/h (gate %s), threads %s/h (growth %s), FDs %s/h (growth %s), unaccounted packets %s",
            t.get("window_s"), t.get("warmup_s"), t.get("rss_mb_per_h"), Double.isFinite(o.maxRssSlopeMbPerHour) ? o.maxRssSlopeMbPerHour : "off",
            t.get("threads_per_h"), t.get("threads_growth"), t.get("fds_per_h"), t.get("fds_growth"), drops.get("unaccounted"));
        if (failures.isEmpty()) say("SOAK PASSED");
        else say("SOAK FAILED: %s", String.join("; ", failures));
        return failures.isEmpty() ? 0 : 1;
      }
      return 0;
    } finally {
      loadRunning = false;
      if (channel != null) channel.shutdownNow();
      if (phones != null) phones.close();
      if (bridge != null) bridge.close();
      if (localLiveKit != null) localLiveKit.close();
      if (http != null) http.stop(0);
      jsonl.close();
      say("output: %s (load.jsonl, load.svg, bridge.log, livekit.log, phones.log)", o.out);
    }
  }

  // ------------------------------------------------------------------ load generators

  /**
   * One thread sends every uplink session's next chunk every {@code uplinkChunkMs}: a continuous
   * 440 Hz tone, except for the listened-to sessions, which send one tone burst a second followed
   * by silence. The bursts last 200, 300, 400 and 500 ms in turn, so the listener, which measures
   * each burst's length, says which burst it heard even when the latency exceeds a second (the
   * bridge's uplink buffer holds up to UPLINK_BUFFER_MS, 2 s by default).
   */
  private void startUplink(ScheduledExecutorService uplink) {
    int perSecond = 1000 / o.uplinkChunkMs;
    int samplesPerChunk = 16 * o.uplinkChunkMs;
    AudioChunk[] tone = new AudioChunk[perSecond];
    AudioChunk silence = AudioChunk.newBuilder().setPcmData(ByteString.copyFrom(new byte[samplesPerChunk * 2])).setSampleRate(16_000).setChannels(1).build();
    for (int k = 0; k < perSecond; k++) {
      ByteBuffer pcm = ByteBuffer.allocate(samplesPerChunk * 2).order(ByteOrder.LITTLE_ENDIAN);
      for (int n = 0; n < samplesPerChunk; n++) {
        long sample = (long) k * samplesPerChunk + n;
        pcm.putShort((short) Math.round(8000 * Math.sin(2 * Math.PI * 440 * sample / 16_000.0)));
      }
      tone[k] = AudioChunk.newBuilder().setPcmData(ByteString.copyFrom(pcm.array())).setSampleRate(16_000).setChannels(1).build();
    }
    long[] tick = {0};
    uplink.scheduleAtFixedRate(() -> {
      long n = tick[0]++;
      int k = (int) (n % perSecond);
      int lengthClass = (int) ((n / perSecond) % 4);
      boolean inBurst = k * o.uplinkChunkMs < 200 + 100 * lengthClass;
      long now = Session.nowMicros();
      for (Session s : sessions) {
        if (!o.uplinks(s.index)) continue;
        if (s.index < o.listeners()) {
          if (k == 0) s.burstSent(now, lengthClass);
          s.send(inBurst ? tone[k] : silence);
        } else {
          s.send(tone[k]);
        }
      }
    }, 0, o.uplinkChunkMs, TimeUnit.MILLISECONDS);
  }

  /**
   * A heard burst's length class: 200, 300, 400 or 500 ms sent (see {@link #startUplink}), heard
   * about 50 ms longer (the Opus frames after the tone still carry its tail: measured 240-260 ms for
   * 200 ms), within 40 ms; -1 for any other length.
   */
  static int burstClass(double lengthMs) {
    long c = Math.round((lengthMs - 50) / 100.0) - 2;
    if (c < 0 || c > 3 || Math.abs(lengthMs - (250 + 100 * c)) > 40) return -1;
    return (int) c;
  }

  /** PlayAudio of the WAV, again and again until the load ends (at most duration / WAV length + 1 times). */
  private Thread startPlayer(Session s, LiveKitBridgeGrpc.LiveKitBridgeStub async, String url, List<Context.CancellableContext> contexts) {
    long maxPlays = o.duration.toSeconds() / Math.max(1, o.playSeconds) + 2;
    return Thread.ofVirtual().name("play-" + s.index).start(() -> {
      for (long n = 0; n < maxPlays && loadRunning; n++) {
        Context.CancellableContext context = Context.current().withCancellation();
        contexts.add(context);
        CountDownLatch done = new CountDownLatch(1);
        long t0 = System.nanoTime();
        String requestId = s.userId + "-play-" + n;
        context.run(() -> async.playAudio(PlayAudioRequest.newBuilder().setRequestId(requestId).setAudioUrl(url).setUserId(s.userId)
            .setTrackId(0).build(), new StreamObserver<>() {
              @Override
              public void onNext(PlayAudioEvent e) {
                switch (e.getType()) {
                  case STARTED -> {
                    playsStarted.incrementAndGet();
                    playStartMs.record((System.nanoTime() - t0) / 1_000);
                  }
                  case COMPLETED -> playsCompleted.incrementAndGet();
                  case FAILED -> {
                    playsFailed.incrementAndGet();
                    if (playsFailed.get() <= 5) problems.add(requestId + " FAILED: " + e.getError());
                  }
                  default -> { }
                }
              }

              @Override
              public void onError(Throwable t) {
                if (loadRunning) {
                  playsFailed.incrementAndGet();
                  if (playsFailed.get() <= 5) problems.add(requestId + ": " + t);
                }
                done.countDown();
              }

              @Override
              public void onCompleted() {
                done.countDown();
              }
            }));
        try {
          if (!done.await(o.playSeconds + 60L, TimeUnit.SECONDS)) {
            problems.add(requestId + " did not end within " + (o.playSeconds + 60) + " s");
            context.cancel(null);
          }
        } catch (InterruptedException e) {
          context.cancel(null);
          return;
        }
        contexts.remove(context);
      }
    });
  }

  // ------------------------------------------------------------------ sampling

  private void sampleLoop(Long bridgePid, Long livekitPid, PhoneFleet phones, long loadStart) throws Exception {
    long interval = o.sample.toNanos();
    long end = loadStart + o.duration.toNanos();
    long self = ProcessHandle.current().pid();
    Proc bridgePrev = bridgePid == null ? null : Proc.read(bridgePid);
    Proc lkPrev = livekitPid == null ? null : Proc.read(livekitPid);
    Proc phonesPrev = Proc.read(phones.pid());
    Proc selfPrev = Proc.read(self);
    long sentPrev = phones.sentTotal();
    long receivedPrev = received.sum();
    long tPrev = loadStart;
    long machinePrev = Proc.machineBusyTicks();
    say("%7s %6s %7s %5s %5s | %5s %6s %6s %7s | %7s %7s %8s %8s %8s | %s", "t", "bridge", "RSS MB", "thr", "fds", "lk", "phones", "driver", "machine",
        "sent/s", "recv/s", "p50 ms", "p99 ms", "max ms", "client->listener p50/p99 ms");
    for (long next = loadStart + interval; next <= end + interval / 2; next += interval) {
      long wait = next - System.nanoTime();
      if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      long now = System.nanoTime();
      Proc bridge = bridgePid == null ? null : Proc.read(bridgePid);
      Proc lk = livekitPid == null ? null : Proc.read(livekitPid);
      Proc ph = Proc.read(phones.pid());
      Proc me = Proc.read(self);
      long machine = Proc.machineBusyTicks();
      long sent = phones.sentTotal();
      long got = received.sum();
      double dt = (now - tPrev) / 1e9;
      double machineCores = machine < 0 || machinePrev < 0 ? Double.NaN : (machine - machinePrev) / (double) Proc.TICKS_PER_SECOND / dt;
      Histogram down = downInterval.snapshotAndReset();
      Histogram up = upInterval.snapshotAndReset();
      Sample s = new Sample((now - loadStart) / 1e9,
          cores(bridge, bridgePrev), bridge == null ? Double.NaN : bridge.rssMb(), bridge == null ? 0 : bridge.threads(), bridge == null ? 0 : bridge.fds(),
          cores(lk, lkPrev), cores(ph, phonesPrev), cores(me, selfPrev), machineCores,
          (sent - sentPrev) / dt, (got - receivedPrev) / dt, sent, got,
          down.percentileMs(50), down.percentileMs(99), down.maxMs(), up.percentileMs(50), up.percentileMs(99), up.maxMs());
      double other = s.machineCores() - finiteOr0(s.bridgeCores()) - finiteOr0(s.livekitCores()) - finiteOr0(s.phonesCores()) - finiteOr0(s.driverCores());
      if (other < QUIET_OTHER_CORES) {
        down.addTo(downQuiet);
        quietIntervals++;
      }
      down.drainInto(downTotal);
      up.drainInto(upTotal);
      samples.add(s);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("t", round(s.t(), 1));
      m.put("bridge_cores", round(s.bridgeCores(), 4));
      m.put("bridge_rss_mb", round(s.rssMb(), 1));
      m.put("bridge_threads", s.threads());
      m.put("bridge_fds", s.fds());
      m.put("livekit_cores", round(s.livekitCores(), 4));
      m.put("phones_cores", round(s.phonesCores(), 4));
      m.put("driver_cores", round(s.driverCores(), 4));
      m.put("machine_cores", round(s.machineCores(), 3));
      m.put("sent_per_s", round(s.sentPerSecond(), 1));
      m.put("received_per_s", round(s.receivedPerSecond(), 1));
      m.put("sent_total", sent);
      m.put("received_total", got);
      m.put("phone_send_errors", phones.sendErrors());
      m.put("down_ms", latencies(down));
      m.put("up_ms", latencies(up));
      m.put("plays", Map.of("started", playsStarted.get(), "completed", playsCompleted.get(), "failed", playsFailed.get()));
      write("sample", m);
      say("%6.0fs %6.3f %7.1f %5d %5d | %5.3f %6.3f %6.3f %7.2f | %7.0f %7.0f %8s %8s %8s | %s/%s", s.t(), s.bridgeCores(), s.rssMb(), s.threads(), s.fds(),
          s.livekitCores(), s.phonesCores(), s.driverCores(), s.machineCores(), s.sentPerSecond(), s.receivedPerSecond(), ms(s.downP50()), ms(s.downP99()), ms(s.downMax()),
          ms(s.upP50()), ms(s.upP99()));
      if (bridge == null && bridgePid != null) throw new IllegalStateException("the bridge process ended during the load; see its log");
      bridgePrev = bridge;
      lkPrev = lk;
      phonesPrev = ph;
      selfPrev = me;
      sentPrev = sent;
      receivedPrev = got;
      tPrev = now;
      machinePrev = machine;
    }
  }

  /** Waits until the machine is busy with less than --quiet-below cores over 5 s, at most 15 minutes. */
  private void waitForQuiet() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
    double busy;
    do {
      long a = Proc.machineBusyTicks();
      Thread.sleep(5_000);
      busy = (Proc.machineBusyTicks() - a) / (double) Proc.TICKS_PER_SECOND / 5;
      if (busy < o.quietBelow) {
        say("machine busy with %.2f cores: starting", busy);
        return;
      }
      say("machine busy with %.2f cores (want < %.2f): waiting", busy, o.quietBelow);
    } while (System.nanoTime() < deadline);
    say("the machine stayed busy for 15 minutes; starting anyway");
  }

  /** Bridge figures over {@code millis} with nothing changing: CPU averaged, the rest at the end. */
  private Map<String, Object> measure(String phase, Long pid, long millis) throws InterruptedException {
    if (pid == null) {
      Thread.sleep(millis);
      return snapshot(phase, null);
    }
    Proc a = Proc.read(pid);
    long machineA = Proc.machineBusyTicks();
    Thread.sleep(millis);
    Proc b = Proc.read(pid);
    double machine = (Proc.machineBusyTicks() - machineA) / (double) Proc.TICKS_PER_SECOND / ((b.atNanos() - a.atNanos()) / 1e9);
    Map<String, Object> m = procFigures(b);
    m.put("cores", round(b.coresSince(a), 4));
    m.put("machine_cores", round(machine, 3));
    m.put("phase", phase);
    write("phase", m);
    say("%s: bridge %.3f cores, RSS %.1f MB, %d threads, %d FDs (machine %.2f cores busy)", phase, b.coresSince(a), b.rssMb(), b.threads(), b.fds(), machine);
    return m;
  }

  private Map<String, Object> snapshot(String phase, Long pid) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (pid != null) {
      Proc p = Proc.read(pid);
      if (p != null) {
        m = procFigures(p);
        say("%s: bridge RSS %.1f MB, %d threads, %d FDs", phase, p.rssMb(), p.threads(), p.fds());
      }
    }
    m.put("phase", phase);
    write("phase", m);
    return m;
  }

  private static Map<String, Object> procFigures(Proc p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("rss_mb", round(p.rssMb(), 1));
    m.put("threads", p.threads());
    m.put("fds", p.fds());
    return m;
  }

  /**
   * After the drain: what each phone sent against what its session's client received, and what
   * the bridge says it dropped (downlink queue full) or never got (gaps in the sequence byte).
   */
  private Map<String, Object> account(LiveKitBridgeGrpc.LiveKitBridgeBlockingStub blocking, long[][] sentAndErrors) {
    long sent = 0;
    long got = 0;
    long dropped = 0;
    long lost = 0;
    long unaccounted = 0;
    long extra = 0;
    long outOfOrder = 0;
    long sessionsWithUnaccounted = 0;
    long streamErrors = 0;
    List<String> worst = new ArrayList<>();
    for (Session s : sessions) {
      long phoneSent = Math.max(0, sentAndErrors[0][s.index]);
      long d = 0;
      long l = 0;
      try {
        BridgeStatusResponse st = blocking.withDeadlineAfter(10, TimeUnit.SECONDS).getStatus(BridgeStatusRequest.newBuilder().setUserId(s.userId).build());
        d = st.getDroppedChunks();
        l = st.getPhonePacketsLost();
      } catch (RuntimeException e) {
        problems.add(s.userId + " GetStatus: " + e.getMessage());
      }
      if (s.error != null) {
        streamErrors++;
        problems.add(s.userId + " StreamAudio ended: " + s.error);
      }
      long u = phoneSent - s.received - d - l;
      sent += phoneSent;
      got += s.received;
      dropped += d;
      lost += l;
      outOfOrder += s.outOfOrder;
      if (u > 0) {
        unaccounted += u;
        sessionsWithUnaccounted++;
        if (worst.size() < 10) worst.add(s.userId + ": sent " + phoneSent + ", received " + s.received + ", dropped " + d + ", lost " + l);
      } else if (u < 0) {
        extra -= u;
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("phone_packets_sent", sent);
    m.put("client_received", got);
    m.put("bridge_dropped_chunks", dropped);
    m.put("bridge_phone_packets_lost", lost);
    m.put("unaccounted", unaccounted);
    m.put("sessions_with_unaccounted", sessionsWithUnaccounted);
    m.put("received_beyond_sent", extra);
    m.put("out_of_order", outOfOrder);
    m.put("phone_send_errors", java.util.Arrays.stream(sentAndErrors[1]).sum());
    m.put("stream_errors", streamErrors);
    if (!worst.isEmpty()) m.put("examples", worst);
    return m;
  }

  // ------------------------------------------------------------------ results

  private Map<String, Object> summary(Map<String, Object> idle, Map<String, Object> joined, Map<String, Object> afterLoad,
      Map<String, Object> afterLeave, Map<String, Object> drops, double loadSeconds, double joinSeconds, long joinFailures,
      PhoneFleet phones, Proc phonesIdleStart, Proc phonesIdleEnd, BridgeProcess bridge) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("label", o.label);
    m.put("sessions", o.sessions);
    m.put("mix", mix());
    m.put("load_seconds", round(loadSeconds, 1));
    List<Sample> steady = samples.size() > 4 ? samples.subList(Math.min(samples.size() - 1, Math.max(1, samples.size() / 10)), samples.size()) : samples;
    double cores = steady.stream().mapToDouble(Sample::bridgeCores).filter(Double::isFinite).average().orElse(Double.NaN);
    double lkCores = steady.stream().mapToDouble(Sample::livekitCores).filter(Double::isFinite).average().orElse(Double.NaN);
    double phCores = steady.stream().mapToDouble(Sample::phonesCores).filter(Double::isFinite).average().orElse(Double.NaN);
    double threads = steady.stream().mapToDouble(Sample::threads).average().orElse(Double.NaN);
    double threadsMax = samples.stream().mapToDouble(Sample::threads).max().orElse(Double.NaN);
    double fdsMax = samples.stream().mapToDouble(Sample::fds).max().orElse(Double.NaN);
    double rssEnd = samples.isEmpty() ? Double.NaN : samples.get(samples.size() - 1).rssMb();
    double rssMax = samples.stream().mapToDouble(Sample::rssMb).max().orElse(Double.NaN);
    Map<String, Object> bridgeFigures = new LinkedHashMap<>();
    bridgeFigures.put("idle", idle);
    bridgeFigures.put("joined", joined);
    bridgeFigures.put("load", Map.of("cores_avg", round(cores, 4), "rss_mb_end", round(rssEnd, 1), "rss_mb_max", round(rssMax, 1),
        "threads_avg", round(threads, 1), "threads_max", threadsMax, "fds_max", fdsMax));
    bridgeFigures.put("after_load", afterLoad);
    bridgeFigures.put("after_leave", afterLeave);
    m.put("bridge", bridgeFigures);
    if (idle.get("cores") instanceof Double idleCores) {
      int n = o.sessions;
      Map<String, Object> per = new LinkedHashMap<>();
      per.put("cores", round((cores - idleCores) / n, 5));
      per.put("cores_idle_session", round(((Double) joined.get("cores") - idleCores) / n, 5));
      per.put("rss_mb_joined", round(((Double) joined.get("rss_mb") - (Double) idle.get("rss_mb")) / n, 3));
      per.put("rss_mb_load", round((rssEnd - (Double) idle.get("rss_mb")) / n, 3));
      per.put("threads", round((threads - (Integer) idle.get("threads")) / n, 3));
      per.put("fds", round(((Integer) joined.get("fds") - (Integer) idle.get("fds")) / (double) n, 3));
      m.put("per_session", per);
    }
    m.put("livekit_cores_avg", round(lkCores, 4));
    double machine = steady.stream().mapToDouble(Sample::machineCores).filter(Double::isFinite).average().orElse(Double.NaN);
    double driver = steady.stream().mapToDouble(Sample::driverCores).filter(Double::isFinite).average().orElse(Double.NaN);
    m.put("driver_cores_avg", round(driver, 4));
    m.put("machine_cores_avg", round(machine, 3));
    // Everything else on the machine (other users' work): a busy machine inflates latencies.
    m.put("other_cores_avg", round(machine - cores - lkCores - phCores - driver, 3));
    m.put("phones", Map.of("cores_avg_load", round(phCores, 4),
        "cores_idle", phonesIdleStart != null && phonesIdleEnd != null ? round(phonesIdleEnd.coresSince(phonesIdleStart), 4) : Double.NaN,
        "cores_per_phone_load", round(phCores / o.sessions, 5),
        "join_ms", Map.of("p50", round(phones.joinMs.percentileMs(50), 1), "p99", round(phones.joinMs.percentileMs(99), 1)),
        "disconnects", phones.disconnects()));
    m.put("down_ms", latencies(downTotal));
    Map<String, Object> quiet = new LinkedHashMap<>(latencies(downQuiet));
    quiet.put("intervals", quietIntervals);
    quiet.put("of", samples.size());
    m.put("down_ms_quiet", quiet);
    m.put("up_ms", latencies(upTotal));
    Map<String, Object> join = new LinkedHashMap<>(latencies(joinMs));
    join.put("failed", joinFailures);
    join.put("all_seconds", round(joinSeconds, 1));
    m.put("join_ms", join);
    m.put("drops", drops);
    if (o.playSessions() > 0) {
      Map<String, Object> plays = new LinkedHashMap<>();
      plays.put("started", playsStarted.get());
      plays.put("completed", playsCompleted.get());
      plays.put("failed", playsFailed.get());
      plays.put("start_ms", latencies(playStartMs));
      m.put("plays", plays);
    }
    if (o.uplinkSessions() > 0) {
      long chunks = 0;
      long notReady = 0;
      for (Session s : sessions) {
        chunks += s.uplinkChunks;
        notReady += s.uplinkNotReady;
      }
      Map<String, Object> up = new LinkedHashMap<>();
      up.put("chunks_sent", chunks);
      up.put("sent_while_not_ready", notReady);
      up.put("listener_bursts_timed", upTotal.count());
      up.put("listener_bursts_distorted", distortedBursts.get());
      up.put("listener_bursts_unmatched", unmatchedBursts.get());
      Map<String, Long> lengths = new LinkedHashMap<>();
      heardBurstMs.forEach((ms, n) -> lengths.put(String.valueOf(ms), n));
      up.put("listener_burst_ms", lengths);
      m.put("uplink", up);
    }
    m.put("bridge_threads_cpu", hotThreads);
    m.put("bridge_metrics", bridgeMetrics);
    if (bridge != null) {
      long warnings = 0;
      long errors = 0;
      for (String line : Files.readAllLines(bridge.log)) {
        if (line.contains(" WARN ")) warnings++;
        else if (line.contains(" ERROR ")) errors++;
      }
      m.put("bridge_log", Map.of("warn", warnings, "error", errors));
    }
    if (o.soak) m.put("soak", trends());
    return m;
  }

  private Map<String, Object> mix() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("pps", o.pps);
    m.put("bytes", o.bytes);
    m.put("uplink_sessions", o.uplinkSessions());
    m.put("uplink_chunk_ms", o.uplinkChunkMs);
    m.put("play_sessions", o.playSessions());
    m.put("play_seconds", o.playSeconds);
    m.put("listeners", o.listeners());
    m.put("single_pc_phones", o.singlePc);
    return m;
  }

  /** Slopes over the samples after the warm-up. */
  private Map<String, Object> trends() {
    double warm = o.warmup.toMillis() / 1000.0;
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
    m.put("threads_per_h", round(Trend.slopePerHour(t, threads), 3));
    m.put("fds_per_h", round(Trend.slopePerHour(t, fds), 3));
    m.put("threads_growth", Trend.steadyGrowth(threads));
    m.put("fds_growth", Trend.steadyGrowth(fds));
    m.put("rss_mb_first", rss.length > 0 ? round(rss[0], 1) : Double.NaN);
    m.put("rss_mb_last", rss.length > 0 ? round(rss[rss.length - 1], 1) : Double.NaN);
    m.put("threads_range", threads.length > 0 ? List.of((int) java.util.Arrays.stream(threads).min().getAsDouble(), (int) java.util.Arrays.stream(threads).max().getAsDouble()) : List.of());
    m.put("fds_range", fds.length > 0 ? List.of((int) java.util.Arrays.stream(fds).min().getAsDouble(), (int) java.util.Arrays.stream(fds).max().getAsDouble()) : List.of());
    return m;
  }

  @SuppressWarnings("unchecked")
  private List<String> soakVerdict(Map<String, Object> summary, Map<String, Object> drops, long joinFailures) {
    Map<String, Object> t = (Map<String, Object>) summary.get("soak");
    List<String> failures = new ArrayList<>();
    if ((Integer) t.get("samples_fitted") < 3) failures.add("only " + t.get("samples_fitted") + " samples after the warm-up: nothing to fit");
    double rssSlope = (Double) t.get("rss_mb_per_h");
    if (Double.isFinite(o.maxRssSlopeMbPerHour) && !(rssSlope <= o.maxRssSlopeMbPerHour)) failures.add(String.format(Locale.ROOT, "RSS grows %.2f MB/h (gate %.2f)", rssSlope, o.maxRssSlopeMbPerHour));
    if ((Double) t.get("threads_growth") > 0) failures.add("threads grew by " + t.get("threads_growth") + " (lowest of the last third of the samples against the highest of the first)");
    if ((Double) t.get("fds_growth") > 0) failures.add("FDs grew by " + t.get("fds_growth") + " (lowest of the last third of the samples against the highest of the first)");
    if ((Long) drops.get("unaccounted") > 0) failures.add(drops.get("unaccounted") + " phone packets neither received nor counted as dropped or lost");
    if ((Long) drops.get("stream_errors") > 0) failures.add(drops.get("stream_errors") + " StreamAudio calls ended with an error");
    if (joinFailures > 0) failures.add(joinFailures + " sessions did not join");
    return failures;
  }

  @SuppressWarnings("unchecked")
  private void printSummary(Map<String, Object> s) {
    say("==== summary: %d sessions, %s, %.0f s of load", o.sessions, s.get("mix"), (Double) s.get("load_seconds"));
    Map<String, Object> b = (Map<String, Object>) s.get("bridge");
    say("bridge idle      %s", b.get("idle"));
    say("bridge joined    %s", b.get("joined"));
    say("bridge load      %s", b.get("load"));
    say("bridge left      %s", b.get("after_leave"));
    say("per session      %s", s.get("per_session"));
    say("livekit-server   %.3f cores; phones %s", (Double) s.get("livekit_cores_avg"), s.get("phones"));
    say("machine          %.2f cores busy, of which %.2f not this run's (load driver %.3f)", (Double) s.get("machine_cores_avg"),
        (Double) s.get("other_cores_avg"), (Double) s.get("driver_cores_avg"));
    say("phone->client ms %s", s.get("down_ms"));
    say("  same, over the intervals in which other work used < %.1f cores: %s", QUIET_OTHER_CORES, s.get("down_ms_quiet"));
    if (o.listeners() > 0) say("client->listener ms %s", s.get("up_ms"));
    say("JoinRoom ms      %s", s.get("join_ms"));
    say("drops            %s", s.get("drops"));
    if (s.containsKey("plays")) say("plays            %s", s.get("plays"));
    if (s.containsKey("uplink")) say("uplink           %s", s.get("uplink"));
    if (s.containsKey("bridge_log")) say("bridge log       %s", s.get("bridge_log"));
    for (String k : List.of("livekit_bridge_downlink_latency_seconds{source=\"data_packet\"}", "livekit_bridge_uplink_latency_seconds",
        "livekit_bridge_clock_tick_lateness_seconds")) {
      if (bridgeMetrics.containsKey(k)) say("bridge /metrics  %s %s", k, bridgeMetrics.get(k));
    }
    say("bridge CPU by thread (cores over the load) %s", hotThreads.stream().map(h -> h.get("thread") + " x" + h.get("count") + " " + h.get("cores")).toList());
    if (s.containsKey("soak")) say("soak slopes      %s", s.get("soak"));
    if (!problems.isEmpty()) say("problems (%d): %s", problems.size(), problems.subList(0, Math.min(5, problems.size())));
  }

  @SuppressWarnings("unchecked")
  private void plot(Map<String, Object> s) throws IOException {
    List<String> heading = new ArrayList<>();
    heading.add(String.format(Locale.ROOT, "LiveKit bridge load%s: %d sessions, %.0f phone packets/s each (%d B), %d streaming up, %d playing, %s",
        o.label.isEmpty() ? "" : " (" + o.label + ")", o.sessions, o.pps, o.bytes, o.uplinkSessions(), o.playSessions(), human((Double) s.get("load_seconds"))));
    Map<String, Object> per = (Map<String, Object>) s.get("per_session");
    Map<String, Object> load = (Map<String, Object>) ((Map<String, Object>) s.get("bridge")).get("load");
    heading.add(String.format(Locale.ROOT, "bridge: %.3f cores, RSS %.0f MB at the end, %.0f threads, %.0f FDs max%s", (Double) load.get("cores_avg"),
        (Double) load.get("rss_mb_end"), (Double) load.get("threads_avg"), (Double) load.get("fds_max"), per == null ? "" : String.format(Locale.ROOT,
            "; per session %.4f cores, %.2f MB, %.2f threads, %.1f FDs", (Double) per.get("cores"), (Double) per.get("rss_mb_load"),
            (Double) per.get("threads"), (Double) per.get("fds"))));
    Map<String, Object> down = (Map<String, Object>) s.get("down_ms");
    Map<String, Object> up = (Map<String, Object>) s.get("up_ms");
    Map<String, Object> join = (Map<String, Object>) s.get("join_ms");
    heading.add(String.format(Locale.ROOT, "livekit-server %.3f cores, phones %.3f cores, whole machine %.2f cores busy (%.2f of it other work)",
        (Double) s.get("livekit_cores_avg"), (Double) ((Map<String, Object>) s.get("phones")).get("cores_avg_load"), (Double) s.get("machine_cores_avg"),
        (Double) s.get("other_cores_avg")));
    heading.add(String.format(Locale.ROOT, "phone→client p50/p99/max %s/%s/%s ms%s; JoinRoom p50/p99 %s/%s ms",
        down.get("p50"), down.get("p99"), down.get("max"),
        upTotal.count() == 0 ? "" : "; client→listener " + up.get("p50") + "/" + up.get("p99") + "/" + up.get("max") + " ms",
        join.get("p50"), join.get("p99")));
    Map<String, Object> d = (Map<String, Object>) s.get("drops");
    heading.add(String.format(Locale.ROOT, "phone packets: %s sent, %s received, %s dropped by the bridge, %s lost before it, %s unaccounted",
        d.get("phone_packets_sent"), d.get("client_received"), d.get("bridge_dropped_chunks"), d.get("bridge_phone_packets_lost"), d.get("unaccounted")));
    double[] fit = null;
    double warm = -1;
    if (o.soak) {
      warm = o.warmup.toMillis() / 1000.0;
      double w = warm;
      List<Sample> after = samples.stream().filter(x -> x.t() >= w).toList();
      fit = Trend.fit(after.stream().mapToDouble(Sample::t).toArray(), after.stream().mapToDouble(Sample::rssMb).toArray());
      Map<String, Object> t = (Map<String, Object>) s.get("soak");
      heading.add(String.format(Locale.ROOT, "soak after %.0f s warm-up: RSS %s MB/h, threads %s/h (growth %s), FDs %s/h (growth %s): %s", warm,
          t.get("rss_mb_per_h"), t.get("threads_per_h"), t.get("threads_growth"), t.get("fds_per_h"), t.get("fds_growth"),
          Boolean.TRUE.equals(s.get("soak_passed")) ? "PASSED" : "FAILED " + s.get("soak_failures")));
    }
    SvgPlot.write(o.out.resolve("load.svg"), heading, samples, warm, fit);
  }

  // ------------------------------------------------------------------ helpers

  private void writeConfig(String lkUrl, String bridgeAddress, Long bridgePid, String wavUrl) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("label", o.label);
    m.put("sessions", o.sessions);
    m.put("mix", mix());
    m.put("duration_s", o.duration.toMillis() / 1000.0);
    m.put("sample_s", o.sample.toMillis() / 1000.0);
    m.put("soak", o.soak);
    if (o.soak) {
      m.put("warmup_s", o.warmup.toMillis() / 1000.0);
      m.put("max_rss_slope_mb_per_h", Double.isFinite(o.maxRssSlopeMbPerHour) ? o.maxRssSlopeMbPerHour : "off");
    }
    m.put("livekit_url", lkUrl);
    m.put("bridge", bridgeAddress);
    m.put("bridge_pid", bridgePid);
    m.put("bridge_java_opts", o.bridgeJavaOpts);
    m.put("bridge_env", o.bridgeEnv);
    m.put("wav_url", wavUrl);
    m.put("cpus", Runtime.getRuntime().availableProcessors());
    write("config", m);
  }

  private synchronized void write(String type, Map<String, Object> fields) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type);
    m.put("time", java.time.Instant.now().toString());
    m.putAll(fields);
    try {
      jsonl.write(JSON.writeValueAsString(sanitize(m)));
      jsonl.newLine();
      jsonl.flush();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** NaN and infinities are not JSON: null instead. */
  @SuppressWarnings("unchecked")
  private static Object sanitize(Object v) {
    if (v instanceof Double d && !Double.isFinite(d)) return null;
    if (v instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, x) -> out.put(String.valueOf(k), sanitize(x)));
      return out;
    }
    if (v instanceof List<?> list) return list.stream().map(LoadMain::sanitize).toList();
    return v;
  }

  private static Map<String, Object> latencies(Histogram h) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", h.count());
    m.put("p50", round(h.percentileMs(50), 1));
    m.put("p99", round(h.percentileMs(99), 1));
    m.put("max", round(h.maxMs(), 1));
    return m;
  }

  private static double finiteOr0(double v) {
    return Double.isFinite(v) ? v : 0;
  }

  private static double cores(Proc now, Proc before) {
    return now == null || before == null ? Double.NaN : now.coresSince(before);
  }

  private static double round(double v, int digits) {
    if (!Double.isFinite(v)) return v;
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  private static String ms(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.1f", v) : "-";
  }

  private static String human(double seconds) {
    if (seconds >= 3600) return String.format(Locale.ROOT, "%.1f h", seconds / 3600);
    if (seconds >= 120) return String.format(Locale.ROOT, "%.1f min", seconds / 60);
    return String.format(Locale.ROOT, "%.0f s", seconds);
  }

  private static void say(String format, Object... args) {
    System.out.println("[load] " + String.format(Locale.ROOT, format, args));
    System.out.flush();
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    if (v != null && !v.isBlank()) return v;
    if (fallback == null) throw new IllegalStateException(name + " is not set (scripts/load.sh sets it)");
    return fallback;
  }

  private static int freePort(String ip) throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(ip, 0));
      return s.getLocalPort();
    }
  }

  private static CallCredentials bearer(String token) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, java.util.concurrent.Executor executor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        if (token != null && !token.isEmpty()) headers.put(AUTHORIZATION, "Bearer " + token);
        applier.apply(headers);
      }
    };
  }

  /** A 16-bit mono WAV of a sine at 0.25 of full scale. */
  static byte[] wav(double frequency, int seconds, int rate) {
    int frames = rate * seconds;
    ByteBuffer b = ByteBuffer.allocate(44 + frames * 2).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes()).putInt(36 + frames * 2).put("WAVEfmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) 1)
        .putInt(rate).putInt(rate * 2).putShort((short) 2).putShort((short) 16).put("data".getBytes()).putInt(frames * 2);
    for (int i = 0; i < frames; i++) b.putShort((short) Math.round(8192 * Math.sin(2 * Math.PI * frequency * i / rate)));
    return b.array();
  }
}
