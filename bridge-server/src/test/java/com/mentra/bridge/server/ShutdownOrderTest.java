package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.mentra.bridge.api.AudioChunk;
import com.mentra.bridge.api.JoinRoomRequest;
import com.mentra.bridge.api.LiveKitBridgeGrpc;
import com.mentra.testing.LiveKitServerProcess;
import com.mentra.testing.Poll;
import com.mentra.testing.TestEnvironment;
import com.mentra.testing.Tones;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM while sessions push audio: the bridge process (a real JVM, with its real shutdown hooks)
 * stops accepting, closes its sessions, stops its clock and only then frees libwebrtc's native
 * factories. Before, the library's own hook ran concurrently with the bridge's and could free them
 * under a clock still pushing audio (use-after-free in native code). The first test checks that
 * order in the bridge's log, with a call holding the bridge's shutdown open for its grace period (a
 * concurrent library hook frees libwebrtc in that window); the second checks 20 SIGTERMs for any
 * sign of native trouble.
 */
class ShutdownOrderTest {
  private static final int RUNS = 20;
  // Not listed: webrtc-java's "VM attach current thread failed", printed when one of libwebrtc's
  // threads tries to call into a JVM that is already exiting; it is noise, not memory misuse.
  private static final Pattern NATIVE_TROUBLE =
      Pattern.compile(
          "SIGSEGV|SIGABRT|SIGBUS|Fatal error|A fatal error has been detected|hs_err|Check failed|use after free|double free");

  @Test
  void sigtermWithSessionsPushingAudioExitsCleanlyEveryTime() throws Exception {
    try (LiveKitServerProcess livekit = LiveKitServerProcess.start()) {
      byte[] tone = Tones.toBytes(Tones.sine(440, 16_000, 6000, 20));
      List<Long> exitMillis = new ArrayList<>();
      for (int run = 0; run < RUNS; run++) {
        int port = BridgeHarness.freePort();
        Path log = Files.createTempFile("bridge-shutdown-" + run + "-", ".log");
        Process bridge = startBridge(livekit, port, log, "WARN");
        ManagedChannel channel =
            NettyChannelBuilder.forAddress(TestEnvironment.get().nodeIp(), port)
                .usePlaintext()
                .intercept(BridgeHarness.bearer(BridgeHarness.TOKEN))
                .build();
        List<StreamObserver<AudioChunk>> streams = new ArrayList<>();
        try {
          awaitReady(log);
          for (int s = 0; s < 3; s++) streams.add(joinAndStream(channel, "sd-" + run + "-" + s));
          // Audio flowing into all three published tracks, then SIGTERM mid-stream.
          push(streams, tone, 600 + run * 37 % 300);
          long signalled = System.nanoTime();
          bridge.destroy(); // SIGTERM
          assertThat(bridge.waitFor(20, TimeUnit.SECONDS))
              .as("run %d: exited after SIGTERM", run)
              .isTrue();
          exitMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled));
          String output = readQuietly(log);
          assertThat(NATIVE_TROUBLE.matcher(output).find())
              .as("run %d: native trouble at shutdown:%n%s", run, output)
              .isFalse();
          assertThat(bridge.exitValue())
              .as("run %d exit code; output:%n%s", run, output)
              .isIn(0, 143);
          assertThat(Files.exists(crashFile(log))).as("run %d: JVM crash file", run).isFalse();
        } finally {
          channel.shutdownNow();
          if (bridge.isAlive()) bridge.destroyForcibly();
        }
      }
      System.out.println(
          "SIGTERM with 3 sessions pushing audio: " + RUNS + " clean exits, in ms: " + exitMillis);
    }
  }

  @Test
  void libwebrtcIsFreedOnlyAfterTheSessionsClosedAndTheClockStopped() throws Exception {
    try (LiveKitServerProcess livekit = LiveKitServerProcess.start()) {
      byte[] tone = Tones.toBytes(Tones.sine(440, 16_000, 6000, 20));
      int port = BridgeHarness.freePort();
      Path log = Files.createTempFile("bridge-shutdown-order-", ".log");
      Process bridge = startBridge(livekit, port, log, "INFO");
      ManagedChannel channel =
          NettyChannelBuilder.forAddress(TestEnvironment.get().nodeIp(), port)
              .usePlaintext()
              .intercept(BridgeHarness.bearer(BridgeHarness.TOKEN))
              .build();
      try {
        awaitReady(log);
        List<StreamObserver<AudioChunk>> streams = new ArrayList<>();
        for (int s = 0; s < 2; s++) streams.add(joinAndStream(channel, "order-" + s));
        // A health watch stays open through the shutdown (the bridge does not end it), so the
        // bridge's own hook waits out its grace period before it stops the clock: a second,
        // concurrent hook that frees libwebrtc does so in that window, with the clock running.
        HealthGrpc.newStub(channel)
            .watch(
                HealthCheckRequest.getDefaultInstance(),
                new StreamObserver<HealthCheckResponse>() {
                  @Override
                  public void onNext(HealthCheckResponse value) {}

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
        push(streams, tone, 600);

        bridge.destroy(); // SIGTERM
        assertThat(bridge.waitFor(60, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
        String output = readQuietly(log);
        assertThat(NATIVE_TROUBLE.matcher(output).find())
            .as("native trouble at shutdown:%n%s", output)
            .isFalse();
        assertThat(Files.exists(crashFile(log))).as("JVM crash file").isFalse();
        int shuttingDown = output.indexOf("shutting down:");
        int stopped = output.indexOf("bridge stopped");
        int freed = output.indexOf("disposing the WebRTC runtime");
        assertThat(shuttingDown)
            .as("the bridge's shutdown began; output:%n%s", output)
            .isNotNegative();
        assertThat(stopped)
            .as("the bridge stopped (sessions closed, clock stopped); output:%n%s", output)
            .isGreaterThan(shuttingDown);
        assertThat(freed)
            .as(
                "libwebrtc freed only after the bridge stopped (sessions and clock); output:%n%s",
                output)
            .isGreaterThan(stopped);
      } finally {
        channel.shutdownNow();
        if (bridge.isAlive()) bridge.destroyForcibly();
      }
    }
  }

  /** The real bridge JVM (BridgeMain, its real shutdown hooks), logging to {@code log}. */
  private static Process startBridge(
      LiveKitServerProcess livekit, int port, Path log, String logLevel) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-XX:ErrorFile=" + crashFile(log),
                "-cp",
                System.getProperty("java.class.path"),
                "com.mentra.bridge.server.BridgeMain")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment()
        .putAll(
            java.util.Map.of(
                "PORT",
                String.valueOf(port),
                "BIND_ADDRESS",
                TestEnvironment.get().nodeIp(),
                "METRICS_PORT",
                "0",
                "LIVEKIT_URL",
                livekit.wsUrl(),
                "LIVEKIT_API_KEY",
                livekit.apiKey(),
                "LIVEKIT_API_SECRET",
                livekit.apiSecret(),
                "BRIDGE_AUTH_TOKENS",
                BridgeHarness.TOKEN,
                "SHUTDOWN_GRACE_SECONDS",
                "5",
                "LOG_LEVEL",
                logLevel));
    return pb.start();
  }

  private static Path crashFile(Path log) {
    return log.getParent().resolve("hs_err_" + log.getFileName());
  }

  private static void awaitReady(Path log) {
    Poll.until(
        () -> Files.exists(log) && readQuietly(log).contains("LiveKit bridge ready"),
        java.time.Duration.ofSeconds(30),
        "the bridge to start: " + readQuietly(log));
  }

  /** Joins {@code user} to a room of its own and opens its uplink audio stream. */
  private static StreamObserver<AudioChunk> joinAndStream(ManagedChannel channel, String user) {
    assertThat(
            LiveKitBridgeGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .joinRoom(
                    JoinRoomRequest.newBuilder()
                        .setUserId(user)
                        .setRoomName("shutdown-" + user)
                        .build())
                .getSuccess())
        .isTrue();
    StreamObserver<AudioChunk> up =
        LiveKitBridgeGrpc.newStub(channel)
            .streamAudio(
                new StreamObserver<>() {
                  @Override
                  public void onNext(AudioChunk value) {}

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
    up.onNext(AudioChunk.newBuilder().setUserId(user).build());
    return up;
  }

  /** Sends {@code tone} on every stream every 20 ms for {@code millis}. */
  private static void push(List<StreamObserver<AudioChunk>> streams, byte[] tone, long millis)
      throws InterruptedException {
    long pushUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (System.nanoTime() < pushUntil) {
      for (StreamObserver<AudioChunk> up : streams) {
        try {
          up.onNext(
              AudioChunk.newBuilder()
                  .setPcmData(ByteString.copyFrom(tone))
                  .setSampleRate(16_000)
                  .setChannels(1)
                  .build());
        } catch (RuntimeException ignored) {
          // the call ended
        }
      }
      Thread.sleep(20);
    }
  }

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
