package com.mentra.bridge.server;

import com.mentra.bridge.api.JoinRoomRequest;
import com.mentra.bridge.api.JoinRoomResponse;
import com.mentra.bridge.api.LeaveRoomRequest;
import com.mentra.bridge.api.LiveKitBridgeGrpc;
import com.mentra.livekit.rtc.Room;
import com.mentra.livekit.rtc.RoomOptions;
import com.mentra.testing.LiveKitServerProcess;
import com.mentra.testing.TestEnvironment;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * Concurrent JoinRoom latency, printed (not asserted): a real livekit-server (one UDP port, as in
 * production), one phone per room already there (a livekit-rtc participant in a separate JVM, so
 * the phones cost the bridge nothing), and an in-process bridge. For each level N it fires N
 * JoinRooms at once over gRPC (user u-i into room r-i, target phone-i), measures each from send to
 * answer, prints p50/p99/max and the CPU time the bridge's JVM (this one, gRPC client included),
 * livekit-server and the phones spent during the burst, then leaves every room before the next
 * round.
 *
 * <p>Run by {@code scripts/bench-joins.sh}, inside a network namespace. System properties: {@code
 * bench.levels} (default 1,10,50,100), {@code bench.rounds} per level (default 3), {@code
 * bench.warmups} uncounted bursts of the largest level first (default 3), {@code bench.pauseMs}
 * between bursts (default 2000), {@code bench.threads} (also print this JVM's CPU time per thread
 * name), {@code bench.verbose} (bridge logs at INFO).
 */
public final class JoinBenchmark {
  private static final long JOIN_DEADLINE_S = 30;

  public static void main(String[] args) throws Exception {
    int[] levels =
        Arrays.stream(System.getProperty("bench.levels", "1,10,50,100").split(","))
            .mapToInt(s -> Integer.parseInt(s.trim()))
            .toArray();
    int rounds = Integer.getInteger("bench.rounds", 3);
    long pauseMs = Long.getLong("bench.pauseMs", 2_000);
    if (!Boolean.getBoolean("bench.verbose")) {
      ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("com.mentra"))
          .setLevel(ch.qos.logback.classic.Level.WARN);
    }
    int rooms = Arrays.stream(levels).max().orElse(1);
    TestEnvironment env = TestEnvironment.get();
    long t0 = System.nanoTime();
    try (LiveKitServerProcess livekit = LiveKitServerProcess.start(true)) {
      System.out.printf("livekit-server %s (log %s)%n", livekit.wsUrl(), livekit.logFile());
      livekitPid =
          ProcessHandle.current()
              .children()
              .filter(h -> h.info().command().orElse("").endsWith("livekit-server"))
              .mapToLong(ProcessHandle::pid)
              .findFirst()
              .orElse(0);
      Process phones = startPhones(livekit, rooms);
      phonesPid = phones.pid();
      try {
        System.out.printf(
            "%d phones in %d rooms after %d ms%n",
            rooms, rooms, (System.nanoTime() - t0) / 1_000_000);
        Map<String, String> config = new HashMap<>();
        config.put("BIND_ADDRESS", env.nodeIp());
        config.put("PORT", String.valueOf(BridgeHarness.freePort()));
        config.put("LIVEKIT_URL", livekit.wsUrl());
        config.put("LIVEKIT_API_KEY", livekit.apiKey());
        config.put("LIVEKIT_API_SECRET", livekit.apiSecret());
        config.put("METRICS_PORT", "0");
        config.put("BRIDGE_ALLOW_INSECURE", "true"); // plaintext gRPC inside the namespace
        try (BridgeServer bridge = new BridgeServer(BridgeConfig.from(config)).start()) {
          ManagedChannel channel =
              NettyChannelBuilder.forAddress(env.nodeIp(), bridge.port()).usePlaintext().build();
          try {
            LiveKitBridgeGrpc.LiveKitBridgeStub stub = LiveKitBridgeGrpc.newStub(channel);
            // Warm up, not counted: native library, gRPC connection, JIT. Cold, the first 100-join
            // burst spends about half the bridge's CPU in the JIT compilers; after these bursts
            // still
            // a quarter (methods run once per join reach C2 only after thousands of joins).
            List<Integer> warmups = new ArrayList<>(List.of(1, 10));
            for (int i = 0; i < Integer.getInteger("bench.warmups", 3); i++) warmups.add(rooms);
            for (int n : warmups) {
              burst(stub, n, "warm");
              leaveAll(stub, n, "warm");
              Thread.sleep(pauseMs);
            }
            System.out.printf(
                "%-6s %-6s %8s %8s %8s %8s  %s%n",
                "joins", "round", "p50 ms", "p99 ms", "max ms", "min ms", "failed");
            for (int n : levels) {
              List<Long> all = new ArrayList<>();
              for (int round = 1; round <= rounds; round++) {
                Thread.sleep(pauseMs);
                Map<String, Long> threadsBefore = threadCpuMillis();
                long[] cpuBefore = cpuMillis();
                Burst b = burst(stub, n, "u");
                long[] cpuAfter = cpuMillis();
                all.addAll(b.millis);
                if (Boolean.getBoolean("bench.threads")) {
                  Map<String, Long> threadsAfter = threadCpuMillis();
                  StringBuilder top = new StringBuilder("  bridge threads (cpu ms):");
                  threadsAfter.entrySet().stream()
                      .map(
                          e ->
                              Map.entry(
                                  e.getKey(),
                                  e.getValue() - threadsBefore.getOrDefault(e.getKey(), 0L)))
                      .filter(e -> e.getValue() > 0)
                      .sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
                      .limit(15)
                      .forEach(
                          e -> top.append(' ').append(e.getKey()).append('=').append(e.getValue()));
                  System.out.println(top);
                }
                System.out.printf(
                    "%-6d %-6d %8d %8d %8d %8d  %d%s   cpu ms: bridge %d, livekit-server %d, phones %d%n",
                    n,
                    round,
                    pct(b.millis, 50),
                    pct(b.millis, 99),
                    pct(b.millis, 100),
                    pct(b.millis, 0),
                    b.failures.size(),
                    b.failures.isEmpty() ? "" : " " + b.failures.get(0),
                    cpuAfter[0] - cpuBefore[0],
                    cpuAfter[1] - cpuBefore[1],
                    cpuAfter[2] - cpuBefore[2]);
                leaveAll(stub, n, "u");
              }
              System.out.printf(
                  "%-6d %-6s %8d %8d %8d %8d%n",
                  n, "all", pct(all, 50), pct(all, 99), pct(all, 100), pct(all, 0));
            }
          } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
          }
        }
      } finally {
        phones.getOutputStream().close();
        if (!phones.waitFor(15, TimeUnit.SECONDS)) phones.destroyForcibly();
      }
    }
    System.out.printf("done in %d s%n", (System.nanoTime() - t0) / 1_000_000_000);
    System.exit(0);
  }

  private record Burst(List<Long> millis, List<String> failures) {}

  /** N JoinRooms at once; each latency from its send to its answer. */
  private static Burst burst(LiveKitBridgeGrpc.LiveKitBridgeStub stub, int n, String userPrefix)
      throws InterruptedException {
    List<Long> millis = java.util.Collections.synchronizedList(new ArrayList<>());
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    CountDownLatch done = new CountDownLatch(n);
    List<JoinRoomRequest> requests = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      requests.add(
          JoinRoomRequest.newBuilder()
              .setUserId(userPrefix + "-" + i)
              .setRoomName("r-" + i)
              .setTargetIdentity("phone-" + i)
              .build());
    }
    for (JoinRoomRequest request : requests) {
      long start = System.nanoTime();
      stub.withDeadlineAfter(JOIN_DEADLINE_S, TimeUnit.SECONDS)
          .joinRoom(
              request,
              new StreamObserver<>() {
                @Override
                public void onNext(JoinRoomResponse r) {
                  millis.add((System.nanoTime() - start) / 1_000_000);
                  if (!r.getSuccess()) failures.add(request.getUserId() + ": " + r.getError());
                }

                @Override
                public void onError(Throwable t) {
                  failures.add(request.getUserId() + ": " + t);
                  done.countDown();
                }

                @Override
                public void onCompleted() {
                  done.countDown();
                }
              });
    }
    if (!done.await(JOIN_DEADLINE_S + 5, TimeUnit.SECONDS))
      failures.add((done.getCount()) + " joins unanswered");
    return new Burst(new ArrayList<>(millis), new ArrayList<>(failures));
  }

  private static void leaveAll(LiveKitBridgeGrpc.LiveKitBridgeStub stub, int n, String userPrefix)
      throws InterruptedException {
    CountDownLatch done = new CountDownLatch(n);
    for (int i = 0; i < n; i++) {
      stub.withDeadlineAfter(30, TimeUnit.SECONDS)
          .leaveRoom(
              LeaveRoomRequest.newBuilder().setUserId(userPrefix + "-" + i).build(),
              new StreamObserver<>() {
                @Override
                public void onNext(com.mentra.bridge.api.LeaveRoomResponse value) {}

                @Override
                public void onError(Throwable t) {
                  done.countDown();
                }

                @Override
                public void onCompleted() {
                  done.countDown();
                }
              });
    }
    done.await(35, TimeUnit.SECONDS);
  }

  private static long livekitPid;
  private static long phonesPid;

  /** CPU time (user + system) so far of this JVM, livekit-server and the phones, from /proc. */
  private static long[] cpuMillis() {
    return new long[] {
      cpuMillis(ProcessHandle.current().pid()), cpuMillis(livekitPid), cpuMillis(phonesPid)
    };
  }

  /** This JVM's CPU time by thread name (digits folded, so pools add up), from /proc. */
  private static Map<String, Long> threadCpuMillis() {
    Map<String, Long> byName = new java.util.TreeMap<>();
    java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
    if (tasks == null) return byName;
    for (java.io.File task : tasks) {
      try {
        String stat = java.nio.file.Files.readString(task.toPath().resolve("stat"));
        String name =
            stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "#");
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        byName.merge(name, (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10, Long::sum);
      } catch (java.io.IOException | RuntimeException e) {
        // The thread ended.
      }
    }
    return byName;
  }

  private static long cpuMillis(long pid) {
    try {
      String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10; // utime, stime in 10 ms ticks
    } catch (java.io.IOException | RuntimeException e) {
      return 0;
    }
  }

  private static long pct(List<Long> values, int p) {
    if (values.isEmpty()) return -1;
    long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  /**
   * The phones: a child JVM on this classpath (inheriting the namespace), ready when it prints
   * "ready".
   */
  private static Process startPhones(LiveKitServerProcess livekit, int rooms) throws Exception {
    String java = ProcessHandle.current().info().command().orElseThrow();
    Process p =
        new ProcessBuilder(
                java,
                "-Xmx256m",
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                Phones.class.getName(),
                livekit.wsUrl(),
                livekit.apiKey(),
                livekit.apiSecret(),
                String.valueOf(rooms))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    CompletableFuture<String> ready = new CompletableFuture<>();
    Thread.ofPlatform()
        .daemon()
        .name("phones-out")
        .start(
            () -> {
              try (BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                  if (line.equals("ready") || line.startsWith("failed")) ready.complete(line);
                  else System.err.println("[phones] " + line);
                }
              } catch (java.io.IOException ignored) {
                // The phones are gone.
              }
              ready.complete("phones exited");
            });
    String line = ready.get(120, TimeUnit.SECONDS);
    if (!"ready".equals(line)) {
      p.destroyForcibly();
      throw new IllegalStateException("the phones did not join: " + line);
    }
    return p;
  }

  /** One participant "phone-i" in each room "r-i"; leaves when stdin closes. */
  public static final class Phones {
    public static void main(String[] args) throws Exception {
      ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("com.mentra"))
          .setLevel(ch.qos.logback.classic.Level.WARN);
      String url = args[0];
      String key = args[1];
      String secret = args[2];
      int rooms = Integer.parseInt(args[3]);
      List<Room> joined = new ArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<Room>> pending = new ArrayList<>();
      for (int i = 0; i < rooms; i++) {
        String token = token(key, secret, "r-" + i, "phone-" + i);
        pending.add(
            pool.submit(
                () ->
                    Room.connect(
                        url,
                        token,
                        RoomOptions.builder()
                            .autoSubscribe(false)
                            .audioSubscriptions(java.util.Set.of())
                            .connectTimeout(java.time.Duration.ofSeconds(30))
                            .build(),
                        null)));
      }
      try {
        for (Future<Room> f : pending) joined.add(f.get(60, TimeUnit.SECONDS));
      } catch (Exception e) {
        System.out.println("failed: " + e);
        System.exit(1);
      }
      pool.shutdown();
      System.out.println("ready");
      System.out.flush();
      try {
        while (System.in.read() >= 0) {
          // Wait for the driver to close stdin.
        }
      } finally {
        CompletableFuture.allOf(
                joined.stream()
                    .map(r -> CompletableFuture.runAsync(r::close))
                    .toArray(CompletableFuture[]::new))
            .get(10, TimeUnit.SECONDS);
        System.exit(0);
      }
    }

    private static String token(String key, String secret, String room, String identity) {
      io.livekit.server.AccessToken token = new io.livekit.server.AccessToken(key, secret);
      token.setIdentity(identity);
      token.setName(identity);
      token.setTtl(3_600_000L);
      token.addGrants(
          new io.livekit.server.RoomJoin(true),
          new io.livekit.server.RoomName(room),
          new io.livekit.server.CanPublish(true),
          new io.livekit.server.CanSubscribe(true),
          new io.livekit.server.CanPublishData(true));
      return token.toJwt();
    }
  }
}
