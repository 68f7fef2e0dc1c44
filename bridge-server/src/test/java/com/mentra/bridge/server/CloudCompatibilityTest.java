package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mentra.testing.TestEnvironment;
import com.mentra.testing.TestPeer;
import com.mentra.testing.TestPeer.OutgoingData;
import com.mentra.testing.Tones;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The cloud's real client contract: its own copy of the upstream .proto (src/test/node/upstream),
 * loaded with the cloud's proto-loader options, driving every RPC the cloud uses the way it uses
 * them, over TCP and over the Unix socket; and the project's .proto checked to be a superset of it.
 */
class CloudCompatibilityTest {
  private static final Path NODE_DIR = Path.of("src/test/node").toAbsolutePath();
  private static final Path UPSTREAM_PROTO = NODE_DIR.resolve("upstream/livekit_bridge.proto");
  private static final Path PROJECT_PROTO =
      Path.of("../proto/livekit_bridge.proto").toAbsolutePath();

  private static JsonNode runNode(Duration timeout, String... args) throws Exception {
    if (!Files.isDirectory(NODE_DIR.resolve("node_modules"))) {
      throw new IllegalStateException(
          "run scripts/test.sh: it installs " + NODE_DIR + "/node_modules");
    }
    List<String> command = new ArrayList<>(List.of(TestEnvironment.get().node().toString()));
    command.addAll(List.of(args));
    Process node =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    assertThat(node.waitFor(timeout.toSeconds(), TimeUnit.SECONDS))
        .as("node finished within " + timeout)
        .isTrue();
    String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    System.out.println(out);
    return new ObjectMapper().readTree(out.substring(out.lastIndexOf('\n') + 1));
  }

  @Test
  void theProjectProtoKeepsEveryUpstreamNameNumberAndType() throws Exception {
    JsonNode r =
        runNode(
            Duration.ofSeconds(30),
            NODE_DIR.resolve("proto-superset.mjs").toString(),
            UPSTREAM_PROTO.toString(),
            PROJECT_PROTO.toString());
    assertThat(r.path("problems").toString()).isEqualTo("[]");
    assertThat(r.path("checked").asInt())
        .as("fields, enum values and methods compared")
        .isGreaterThan(60);
    assertThat(r.path("ok").asBoolean()).isTrue();
  }

  @Test
  void theCloudsClientWorksOverTcp() throws Exception {
    // The cloud sends no credentials yet: over TCP that takes the operator's explicit consent.
    try (BridgeHarness h =
        new BridgeHarness(Map.of("BRIDGE_AUTH_TOKENS", "", "BRIDGE_ALLOW_INSECURE", "true"))) {
      driveLikeTheCloud(h, "cloud-tcp");
    }
  }

  @Test
  void theCloudsClientWorksOverTheUnixSocket() throws Exception {
    Path dir = Files.createTempDirectory("lkb-socket");
    Path socket = dir.resolve("nested/livekit-bridge.sock");
    Files.createDirectories(socket.getParent());
    Files.writeString(socket, "stale"); // a stale file from an earlier run is replaced
    // Over the Unix socket the file's permissions are the boundary: no token needed.
    try (BridgeHarness h =
        new BridgeHarness(
            Map.of("LIVEKIT_GRPC_SOCKET", socket.toString(), "BRIDGE_AUTH_TOKENS", ""))) {
      assertThat(h.bridge.target()).isEqualTo("unix:" + socket);
      assertThat(Files.getPosixFilePermissions(socket)).hasSize(6); // rw for user, group and others
      driveLikeTheCloud(h, "cloud-unix");
    }
    assertThat(socket).as("socket file removed at shutdown").doesNotExist();
  }

  private static void driveLikeTheCloud(BridgeHarness h, String userId) throws Exception {
    String room = "room-" + userId;
    try (AudioFileServer files = new AudioFileServer();
        TestPeer phone = TestPeer.join("phone", h.livekit.wsUrl(), h.livekit.token(room, userId))) {
      // The phone sends what current apps send: a sequence byte, then 100 ms of 16 kHz PCM.
      byte[] pcm = Tones.toBytes(Tones.sine(1000, 16_000, 6000, 100));
      List<OutgoingData> packets = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        byte[] packet = new byte[pcm.length + 1];
        packet[0] = (byte) i;
        System.arraycopy(pcm, 0, packet, 1, pcm.length);
        packets.add(OutgoingData.lossy(packet, "pcm"));
      }
      Thread sender =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      phone.sendData(packets, 100);
                    } catch (RuntimeException e) {
                      // The phone left at the end of the test.
                    }
                  });
      // The cloud mints the bridge's token itself, for cloud-agent:{userId}.
      String token = h.livekit.token(room, "cloud-agent:" + userId);
      JsonNode r =
          runNode(
              Duration.ofSeconds(120),
              NODE_DIR.resolve("cloud-client.mjs").toString(),
              UPSTREAM_PROTO.toString(),
              h.bridge.target(),
              userId,
              room,
              token,
              h.livekit.wsUrl(),
              files.url("/long.wav"),
              files.url("/tone.wav"));
      sender.interrupt();
      assertThat(r.path("ok").asBoolean()).as(r.path("error").asText()).isTrue();

      assertThat(r.at("/health/status").asText()).isEqualTo("SERVING");
      assertThat(r.at("/health/metadata/version").asText()).isEqualTo(BridgeVersion.VALUE);
      assertThat(r.at("/statusUnknown/connected").asBoolean()).isFalse();
      assertThat(r.at("/join/success").asBoolean()).isTrue();
      assertThat(r.at("/join/participant_id").asText()).isEqualTo("cloud-agent:" + userId);
      assertThat(r.at("/firstStream/oddChunks").asInt())
          .as("the sequence byte is stripped")
          .isZero();
      assertThat(r.at("/statusKnown/connected").asBoolean()).isTrue();
      assertThat(r.at("/statusKnown/participant_id").asText()).isEqualTo("cloud-agent:" + userId);
      assertThat(r.at("/statusKnown/server_version").asText()).isEqualTo(BridgeVersion.VALUE);

      assertTerminal(r.get("stopped"), "play-stopped", "stopped");
      assertThat(r.at("/stopByTrack/success").asBoolean()).isTrue();
      assertThat(r.at("/stopByTrack/stopped_request_id").asText()).isEqualTo("play-stopped");
      assertTerminal(r.get("replaced"), "play-replaced", "replaced");
      assertTerminal(r.get("replacer"), "play-replacer", "stopped");
      assertThat(r.at("/stopAll/stopped_request_id").asText()).isEqualTo("play-replacer");
      JsonNode completed = assertTerminal(r.get("completed"), "play-completed", null);
      assertThat(completed.get("duration_ms").asText())
          .as("int64 as a string, the cloud's longs: String")
          .isEqualTo("2000");
      assertThat(r.get("completed").get(0).get("duration_ms").asText())
          .as("STARTED carries the declared duration")
          .isEqualTo("2000");

      assertThat(r.at("/superseded/firstStatus").isNull())
          .as("the older stream was not ended: " + r.get("superseded"))
          .isTrue();
      assertThat(r.at("/superseded/firstErrors").asInt()).isZero();
      assertThat(r.at("/reconnectLeave/success").asBoolean()).isTrue();
      assertThat(r.at("/reconnectJoin/success").asBoolean()).isTrue();
      assertThat(r.at("/afterReconnect/chunks").asInt()).isGreaterThanOrEqualTo(3);
      assertThat(r.at("/healthDuring/active_sessions").asInt()).isEqualTo(1);
      assertThat(r.at("/healthDuring/active_streams").asInt())
          .as("sessions with a room, as upstream counts")
          .isEqualTo(1);
      assertThat(r.at("/leave/success").asBoolean()).isTrue();
      assertThat(r.at("/statusAfterLeave/connected").asBoolean()).isFalse();
      // The phone kept its identity and its place in the room throughout.
      assertThat(phone.isAlive()).isTrue();
      assertThat(h.livekit.participantIdentities(room)).contains(userId);
    }
  }

  /**
   * The call's events: STARTED first, COMPLETED last with the stop reason in metadata (or none).
   */
  private static JsonNode assertTerminal(JsonNode events, String requestId, String stopReason) {
    assertThat(events.size())
        .as("events of " + requestId + ": " + events)
        .isGreaterThanOrEqualTo(2);
    assertThat(events.get(0).get("type").asText()).isEqualTo("STARTED");
    JsonNode last = events.get(events.size() - 1);
    assertThat(last.get("type").asText()).as(requestId + ": " + events).isEqualTo("COMPLETED");
    assertThat(last.get("request_id").asText()).isEqualTo(requestId);
    if (stopReason == null)
      assertThat(last.get("metadata").has("stop_reason")).as(last.toString()).isFalse();
    else
      assertThat(last.at("/metadata/stop_reason").asText())
          .as(last.toString())
          .isEqualTo(stopReason);
    return last;
  }
}
