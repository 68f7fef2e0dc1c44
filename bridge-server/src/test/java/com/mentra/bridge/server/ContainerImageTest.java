package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.mentra.bridge.api.AudioChunk;
import com.mentra.bridge.api.HealthCheckRequest;
import com.mentra.bridge.api.HealthCheckResponse;
import com.mentra.bridge.api.JoinRoomRequest;
import com.mentra.bridge.api.JoinRoomResponse;
import com.mentra.bridge.api.LiveKitBridgeGrpc;
import com.mentra.bridge.api.PlayAudioEvent;
import com.mentra.bridge.api.PlayAudioRequest;
import com.mentra.testing.LiveKitServerProcess;
import com.mentra.testing.Poll;
import com.mentra.testing.Spectrum;
import com.mentra.testing.TestEnvironment;
import com.mentra.testing.TestPeer;
import com.mentra.testing.TestPeer.OutgoingData;
import com.mentra.testing.Wav;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The bridge's OCI image (the root Dockerfile), run by podman inside the test network namespace
 * ({@code podman run --network host} from this JVM, which runs inside it) next to a real
 * livekit-server and the rtc-node peer, and checked only through its ports: grpc.health.v1 and the
 * image's own HEALTHCHECK, JoinRoom (the bridge API with a bearer token from BRIDGE_AUTH_TOKENS)
 * with a LiveKit token the container mints from its environment, phone data packets forwarded
 * byte-identical and in order, a PlayAudio the peer hears at 440 Hz, and a SIGTERM that makes it
 * leave the room and exit within SHUTDOWN_GRACE_SECONDS.
 *
 * <p>Runs when the environment variable {@code LKB_IMAGE} (or the system property {@code
 * lkb.image}) names the image: {@code scripts/image-test.sh} builds it and sets it (and {@code
 * scripts/test.sh} runs that last). Without it the test is skipped; with it, a podman that cannot
 * run the image fails the test with the reason.
 */
class ContainerImageTest {
  private static final int GRACE_SECONDS = 5;
  private static final String USER = "image-user";
  private static final String ROOM = "image-room";

  /**
   * The bridge refuses to serve a non-loopback address without a credential; callers present this
   * one.
   */
  private static final String TOKEN = randomToken();

  private static String randomToken() {
    byte[] bytes = new byte[16];
    new java.security.SecureRandom().nextBytes(bytes);
    return java.util.HexFormat.of().formatHex(bytes);
  }

  static String image() {
    String image = System.getProperty("lkb.image", System.getenv("LKB_IMAGE"));
    return image == null || image.isBlank() ? null : image.trim();
  }

  @Test
  void theImageServesJoinsForwardsPlaysAndLeavesOnSigterm() throws Exception {
    String image = image();
    // Never skipped: the default test run excludes this class (bridge-server/pom.xml), and the
    // image step runs it by name with LKB_IMAGE set; without it, that is a broken setup.
    if (image == null)
      throw new AssertionError(
          "LKB_IMAGE is not set: scripts/image-test.sh builds the image and runs this test");
    requirePodman(image);
    TestEnvironment env = TestEnvironment.get();
    Path out = TestEnvironment.outputDir("container-image");
    Path log = out.resolve("bridge-container.log");
    String name = "lkb-image-test-" + ProcessHandle.current().pid();
    podman(Duration.ofSeconds(30), "rm", "-f", name);

    try (LiveKitServerProcess livekit = LiveKitServerProcess.start();
        AudioFileServer files = new AudioFileServer();
        TestPeer phone = livekit.joinPeer(ROOM, "phone")) {
      int port = BridgeHarness.freePort();
      int metricsPort = BridgeHarness.freePort();
      List<String> run = new ArrayList<>(podmanCommand());
      run.addAll(
          List.of(
              "run",
              "--runtime",
              "runc",
              "--network",
              "host",
              "--read-only",
              "--name",
              name,
              "--label",
              "lkb-image-test=1",
              "-e",
              "PORT=" + port,
              "-e",
              "METRICS_PORT=" + metricsPort,
              "-e",
              "LIVEKIT_URL=" + livekit.wsUrl(),
              "-e",
              "LIVEKIT_API_KEY=" + livekit.apiKey(),
              "-e",
              "LIVEKIT_API_SECRET=" + livekit.apiSecret(),
              "-e",
              "BRIDGE_AUTH_TOKENS=" + TOKEN,
              "-e",
              "AUDIO_URL_ALLOW_PRIVATE=true",
              "-e",
              "SHUTDOWN_GRACE_SECONDS=" + GRACE_SECONDS,
              image));
      long startedAt = System.nanoTime();
      Process container =
          new ProcessBuilder(run).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      ManagedChannel channel =
          NettyChannelBuilder.forAddress(env.nodeIp(), port).usePlaintext().build();
      try {
        // The bridge API with the token, as a backend calls it; grpc.health.v1 without (probes
        // carry none).
        Metadata auth = new Metadata();
        auth.put(
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TOKEN);
        ClientInterceptor withToken = MetadataUtils.newAttachHeadersInterceptor(auth);
        LiveKitBridgeGrpc.LiveKitBridgeBlockingStub stub =
            LiveKitBridgeGrpc.newBlockingStub(channel).withInterceptors(withToken);
        LiveKitBridgeGrpc.LiveKitBridgeStub async =
            LiveKitBridgeGrpc.newStub(channel).withInterceptors(withToken);

        // Health: grpc.health.v1 from outside, the bridge's HealthCheck, the image's HEALTHCHECK.
        Poll.forValue(
            () -> {
              if (!container.isAlive())
                throw new AssertionError(
                    "the container exited with " + container.exitValue() + ":\n" + tail(log));
              try {
                var r =
                    HealthGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(1, TimeUnit.SECONDS)
                        .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance());
                return r.getStatus() == io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING
                    ? true
                    : null;
              } catch (io.grpc.StatusRuntimeException notYet) {
                return null;
              }
            },
            Duration.ofSeconds(60),
            "grpc.health.v1 SERVING from the container (log: " + log + ")");
        long servingMs = (System.nanoTime() - startedAt) / 1_000_000;
        HealthCheckResponse health =
            stub.withDeadlineAfter(5, TimeUnit.SECONDS)
                .healthCheck(HealthCheckRequest.getDefaultInstance());
        assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        long probeAt = System.nanoTime();
        Result healthcheck = podman(Duration.ofSeconds(30), "healthcheck", "run", name);
        long probeMs = (System.nanoTime() - probeAt) / 1_000_000;
        assertThat(healthcheck.code())
            .as("the image's HEALTHCHECK (HealthProbe): %s", healthcheck.output())
            .isZero();
        assertThat(podman(Duration.ofSeconds(30), "exec", name, "id", "-u").output().trim())
            .as("runs as the image's non-root user")
            .isEqualTo("10001");
        // The image's LD_PRELOAD: the bridge (PID 1) runs on jemalloc, not glibc's malloc.
        Result maps = podman(Duration.ofSeconds(30), "exec", name, "cat", "/proc/1/maps");
        assertThat(maps.output())
            .as("the bridge's mappings (the image preloads jemalloc)")
            .contains("/libjemalloc.so.2");
        // The image's MALLOC_CONF: jemalloc's background thread purges what idle threads freed.
        Result threads =
            podman(Duration.ofSeconds(30), "exec", name, "sh", "-c", "cat /proc/1/task/*/comm");
        assertThat(threads.output())
            .as("the bridge's threads (MALLOC_CONF=background_thread:true)")
            .contains("jemalloc_bg_thd");
        String metrics = httpGet("http://" + env.nodeIp() + ":" + metricsPort + "/metrics");
        assertThat(metrics).as("Prometheus text on METRICS_PORT").contains("# TYPE");
        System.out.printf(
            "[image] container start to grpc.health.v1 SERVING: %d ms; the image's HEALTHCHECK answered healthy in %d ms%n",
            servingMs, probeMs);

        // JoinRoom: no URL and no token in the request, so the container's LIVEKIT_URL and keys are
        // used.
        JoinRoomResponse joined =
            stub.withDeadlineAfter(20, TimeUnit.SECONDS)
                .joinRoom(
                    JoinRoomRequest.newBuilder()
                        .setUserId(USER)
                        .setRoomName(ROOM)
                        .setTargetIdentity("phone")
                        .build());
        assertThat(joined.getSuccess()).as(joined.getError()).isTrue();
        String bridgeIdentity =
            Poll.forValue(
                () ->
                    livekit.listParticipantIdentities(ROOM).stream()
                        .filter(id -> !id.equals("phone"))
                        .findFirst()
                        .orElse(null),
                Duration.ofSeconds(10),
                "the bridge listed in the room");

        // Phone data packets reach the client byte-identical and in order.
        Downlink stream = new Downlink(async);
        List<OutgoingData> warmUp = new ArrayList<>();
        for (int i = 0; i < 100; i++) warmUp.add(OutgoingData.reliable(packet(-1 - i), "pcm"));
        for (int i = 0; i < warmUp.size() && stream.received.isEmpty(); i++) {
          phone.sendData(List.of(warmUp.get(i)), 0);
          Thread.sleep(100);
        }
        Poll.forValue(
            () -> stream.received.isEmpty() ? null : true,
            Duration.ofSeconds(5),
            "the first phone packet through the container");
        List<OutgoingData> packets = new ArrayList<>();
        for (int i = 0; i < 100; i++) packets.add(OutgoingData.reliable(packet(i), "pcm"));
        phone.sendData(packets, 20);
        Poll.until(
            () -> stream.numbered().size() >= 100, Duration.ofSeconds(15), "100 numbered chunks");
        Thread.sleep(300);
        List<AudioChunk> numbered = stream.numbered();
        assertThat(numbered).hasSize(100);
        for (int i = 0; i < 100; i++) {
          assertThat(numbered.get(i).getPcmData().toByteArray())
              .as("chunk %d", i)
              .isEqualTo(packet(i));
        }
        System.out.printf(
            "[image] 100 phone packets (3200 bytes each) forwarded byte-identical and in order%n");

        // PlayAudio: the phone hears a 2 s 440 Hz WAV from the room at 440 Hz.
        Path recording = out.resolve("played-by-container.wav");
        phone.record(bridgeIdentity, recording, 48_000);
        List<PlayAudioEvent> events = new CopyOnWriteArrayList<>();
        Downlink.Done done = new Downlink.Done();
        async.playAudio(
            PlayAudioRequest.newBuilder()
                .setUserId(USER)
                .setRequestId("image-r1")
                .setAudioUrl(files.url("/tone.wav"))
                .build(),
            new StreamObserver<>() {
              @Override
              public void onNext(PlayAudioEvent e) {
                events.add(e);
              }

              @Override
              public void onError(Throwable t) {
                done.error = t;
                done.done = true;
              }

              @Override
              public void onCompleted() {
                done.done = true;
              }
            });
        Poll.until(
            () -> done.done, Duration.ofSeconds(20), "the PlayAudio call to end, events " + events);
        assertThat(done.error).isNull();
        PlayAudioEvent last = events.get(events.size() - 1);
        assertThat(last.getType())
            .as(last.getError())
            .isEqualTo(PlayAudioEvent.EventType.COMPLETED);
        assertThat(last.getDurationMs()).isCloseTo(2000L, within(50L));
        Thread.sleep(300);
        TestPeer.Recording heard = phone.stopRecording();
        Wav.Audio audio = Wav.read(heard.path());
        int firstSound = Spectrum.firstSoundIndex(audio.samples(), audio.sampleRate(), -40);
        assertThat(firstSound).as("the phone heard the playback").isGreaterThanOrEqualTo(0);
        short[] steady =
            Spectrum.slice(audio.samples(), firstSound + 4_800, firstSound + 4_800 + 72_000);
        double frequency = Spectrum.dominantFrequency(steady, audio.sampleRate());
        System.out.printf(
            "[image] PlayAudio of a 440 Hz WAV: COMPLETED after %d ms, the phone heard %.2f Hz%n",
            last.getDurationMs(), frequency);
        assertThat(frequency).isCloseTo(440, within(2.0));

        // SIGTERM with a session and an open stream: the bridge leaves the room, ends the stream,
        // exits.
        long termAt = System.nanoTime();
        Result kill = podman(Duration.ofSeconds(10), "kill", "--signal", "TERM", name);
        assertThat(kill.code()).as("podman kill: %s", kill.output()).isZero();
        boolean exited = container.waitFor(GRACE_SECONDS + 5, TimeUnit.SECONDS);
        long exitMs = (System.nanoTime() - termAt) / 1_000_000;
        assertThat(exited)
            .as(
                "the container exits within SHUTDOWN_GRACE_SECONDS (%d s) + 5 s; log:%n%s",
                GRACE_SECONDS, tail(log))
            .isTrue();
        String logText = Files.readString(log);
        System.out.printf(
            "[image] SIGTERM to exit: %d ms (grace %d s), exit code %d%n",
            exitMs, GRACE_SECONDS, container.exitValue());
        assertThat(container.exitValue())
            .as("exit code after SIGTERM (143: the JVM's, after its shutdown hook)")
            .isIn(0, 143);
        assertThat(exitMs).isLessThan(GRACE_SECONDS * 1_000L + 3_000);
        assertThat(logText).contains("bridge stopped");
        assertThat(logText).doesNotContain("calls still running after");
        Poll.until(
            () -> stream.ended, Duration.ofSeconds(5), "the StreamAudio call ended by the bridge");
        Poll.forValue(
            () -> livekit.listParticipantIdentities(ROOM).contains(bridgeIdentity) ? null : true,
            Duration.ofSeconds(5),
            "the bridge gone from the room (left, not timed out)");
      } finally {
        channel.shutdownNow();
        if (container.isAlive()) container.destroyForcibly();
        Result rm = podman(Duration.ofSeconds(30), "rm", "-f", name);
        if (rm.code() != 0) System.out.println("[image] podman rm -f " + name + ": " + rm.output());
      }
    }
  }

  /**
   * A 3200-byte packet (100 ms of 16 kHz PCM) carrying its number; warm-up packets have negative
   * numbers.
   */
  static byte[] packet(int number) {
    byte[] bytes = new byte[3200];
    new Random(number).nextBytes(bytes);
    ByteBuffer.wrap(bytes).putInt(number);
    return bytes;
  }

  /** A StreamAudio call that only reads. */
  static final class Downlink implements ClientResponseObserver<AudioChunk, AudioChunk> {
    static final class Done {
      volatile boolean done;
      volatile Throwable error;
    }

    final List<AudioChunk> received = new CopyOnWriteArrayList<>();
    volatile boolean ended;

    Downlink(LiveKitBridgeGrpc.LiveKitBridgeStub stub) {
      ClientCallStreamObserver<AudioChunk> call =
          (ClientCallStreamObserver<AudioChunk>) stub.streamAudio(this);
      call.onNext(AudioChunk.newBuilder().setUserId(USER).build());
    }

    /** The chunks carrying numbered (non-warm-up) packets, in arrival order. */
    List<AudioChunk> numbered() {
      return received.stream()
          .filter(
              c ->
                  c.getPcmData().size() >= 4 && c.getPcmData().asReadOnlyByteBuffer().getInt() >= 0)
          .toList();
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<AudioChunk> requestStream) {}

    @Override
    public void onNext(AudioChunk value) {
      received.add(value);
    }

    @Override
    public void onError(Throwable t) {
      ended = true;
    }

    @Override
    public void onCompleted() {
      ended = true;
    }
  }

  record Result(int code, String output) {}

  /**
   * How to call podman from this JVM. It runs inside the test network namespace through {@code ip
   * netns exec}, which mounts a fresh sysfs over /sys and so hides the cgroup mounts runc needs
   * ("no cgroup mount found in mountinfo"). podman then runs in the mount namespace of a process
   * outside ({@code LKB_HOST_MOUNT_NS}, which scripts/image-test.sh sets, else the Maven JVM that
   * forked this one) while staying in this network namespace, so {@code --network host} still puts
   * the container next to livekit-server and the peer.
   */
  static List<String> podmanCommand() {
    if (cgroupsMounted(Path.of("/proc/self/mountinfo"))) return List.of("podman");
    String ns = System.getenv("LKB_HOST_MOUNT_NS");
    if (ns == null || ns.isBlank()) {
      long parent =
          ProcessHandle.current()
              .parent()
              .orElseThrow(() -> new AssertionError("no parent process"))
              .pid();
      ns = "/proc/" + parent + "/ns/mnt";
    }
    if (!Files.exists(Path.of(ns)))
      throw new AssertionError("no mount namespace with cgroups for podman: " + ns + " is missing");
    return List.of("nsenter", "--mount=" + ns, "podman");
  }

  private static boolean cgroupsMounted(Path mountinfo) {
    try {
      return Files.readAllLines(mountinfo).stream()
          .anyMatch(l -> l.contains(" - cgroup ") || l.contains(" - cgroup2 "));
    } catch (IOException e) {
      return false;
    }
  }

  static Result podman(Duration timeout, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(podmanCommand());
    cmd.addAll(Arrays.asList(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] output = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(
          String.join(" ", cmd) + " did not finish within " + timeout.toSeconds() + " s");
    }
    return new Result(p.exitValue(), new String(output, StandardCharsets.UTF_8));
  }

  /** LKB_IMAGE is set, so podman must be able to run it here: fail (never skip) with the reason. */
  static void requirePodman(String image) throws InterruptedException {
    Result version;
    try {
      version = podman(Duration.ofSeconds(30), "version", "--format", "{{.Client.Version}}");
    } catch (IOException e) {
      throw new AssertionError(
          "LKB_IMAGE="
              + image
              + " is set but podman cannot be started here ("
              + e.getMessage()
              + "); install podman and runc (scripts/image-test.sh does)",
          e);
    }
    if (version.code() != 0)
      throw new AssertionError(
          "LKB_IMAGE=" + image + " is set but podman does not work here: " + version.output());
    try {
      Result exists = podman(Duration.ofSeconds(30), "image", "exists", image);
      if (exists.code() != 0) {
        throw new AssertionError(
            "LKB_IMAGE="
                + image
                + " is set but podman has no such image (build it with scripts/image-test.sh): "
                + exists.output());
      }
    } catch (IOException e) {
      throw new AssertionError("podman image exists failed", e);
    }
  }

  static String httpGet(String url) throws IOException, InterruptedException {
    HttpClient http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2))
            .proxy(HttpClient.Builder.NO_PROXY)
            .build();
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("GET " + url).isEqualTo(200);
    return r.body();
  }

  static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
