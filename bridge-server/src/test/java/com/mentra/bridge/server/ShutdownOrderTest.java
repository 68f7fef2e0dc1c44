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
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
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
 * under a clock still pushing audio (use-after-free in native code). 20 runs.
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
        ProcessBuilder pb =
            new ProcessBuilder(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED",
                    "-XX:ErrorFile=" + log.getParent().resolve("hs_err_shutdown_" + run + ".log"),
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
                    "WARN"));
        Process bridge = pb.start();
        ManagedChannel channel =
            NettyChannelBuilder.forAddress(TestEnvironment.get().nodeIp(), port)
                .usePlaintext()
                .intercept(BridgeHarness.bearer(BridgeHarness.TOKEN))
                .build();
        List<StreamObserver<AudioChunk>> streams = new ArrayList<>();
        try {
          Poll.until(
              () -> Files.exists(log) && readQuietly(log).contains("LiveKit bridge ready"),
              java.time.Duration.ofSeconds(30),
              "the bridge to start: " + readQuietly(log));
          for (int s = 0; s < 3; s++) {
            String user = "sd-" + run + "-" + s;
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
            streams.add(up);
          }
          // Audio flowing into all three published tracks, then SIGTERM mid-stream.
          long pushUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(600 + run * 37 % 300);
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
          assertThat(Files.exists(log.getParent().resolve("hs_err_shutdown_" + run + ".log")))
              .as("run %d: JVM crash file", run)
              .isFalse();
        } finally {
          channel.shutdownNow();
          if (bridge.isAlive()) bridge.destroyForcibly();
        }
      }
      System.out.println(
          "SIGTERM with 3 sessions pushing audio: " + RUNS + " clean exits, in ms: " + exitMillis);
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
