package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mentra.testing.Poll;
import com.mentra.testing.TestEnvironment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The existing backend's client (grpc-js + proto-loader, keepCase, only the .proto) works
 * unchanged.
 */
class LegacyNodeClientTest {
  @Test
  void everyRpcWorksFromAKeepCaseProtoLoaderClient() throws Exception {
    Path script = Path.of("src/test/node/legacy-client.mjs").toAbsolutePath();
    Path proto = Path.of("../proto/livekit_bridge.proto").toAbsolutePath();
    if (!Files.isDirectory(script.getParent().resolve("node_modules"))) {
      throw new IllegalStateException(
          "run scripts/test.sh: it installs " + script.getParent() + "/node_modules");
    }
    try (BridgeHarness h =
            new BridgeHarness(Map.of("BRIDGE_AUTH_TOKENS", "", "BRIDGE_ALLOW_INSECURE", "true"));
        AudioFileServer files = new AudioFileServer()) {
      Process node =
          new ProcessBuilder(
                  TestEnvironment.get().node().toString(),
                  script.toString(),
                  proto.toString(),
                  TestEnvironment.get().nodeIp() + ":" + h.bridge.port(),
                  "legacy-user",
                  "legacy-room",
                  files.url("/long.wav"))
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      assertThat(node.waitFor(60, TimeUnit.SECONDS)).as("node client finished").isTrue();
      String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      System.out.println(out);
      JsonNode r = new ObjectMapper().readTree(out.substring(out.lastIndexOf('\n') + 1));
      assertThat(r.path("ok").asBoolean()).as(r.path("error").asText()).isTrue();
      assertThat(r.at("/health/status").asText()).isEqualTo("SERVING");
      assertThat(r.at("/join/success").asBoolean()).isTrue();
      assertThat(r.at("/join/participant_id").asText()).isEqualTo("cloud-agent:legacy-user");
      assertThat(r.at("/status/connected").asBoolean()).isTrue();
      assertThat(r.at("/status/server_version").asText()).isEqualTo(BridgeVersion.VALUE);
      assertThat(r.at("/stop/success").asBoolean()).isTrue();
      JsonNode events = r.get("playEvents");
      assertThat(events.get(0).get("type").asText()).isEqualTo("STARTED");
      JsonNode last = events.get(events.size() - 1);
      assertThat(last.get("type").asText()).isEqualTo("COMPLETED");
      assertThat(last.get("stop_reason").asText()).isEqualTo("stopped");
      assertThat(r.at("/healthDuring/active_sessions").asInt()).isEqualTo(1);
      assertThat(r.at("/healthDuring/active_streams").asInt()).isEqualTo(1);
      assertThat(r.at("/leave/success").asBoolean()).isTrue();
      Poll.until(
          () -> h.health().getActiveSessions() == 0 && h.bridge.streamCount() == 0,
          java.time.Duration.ofSeconds(5),
          "no sessions or streams left");
    }
  }
}
