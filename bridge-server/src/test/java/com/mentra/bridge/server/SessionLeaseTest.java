package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.testing.Poll;
import com.mentra.testing.TestEnvironment;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A backend that vanishes does not leave its users in their rooms; one that keeps its stream open
 * keeps them.
 */
class SessionLeaseTest {
  private static final int IDLE_SECONDS = 3;

  @Test
  void aKilledBackendsSessionsLeaveTheirRoomsAndAnOpenStreamKeepsItsSession() throws Exception {
    try (BridgeHarness h =
        new BridgeHarness(
            Map.of(
                "SESSION_IDLE_SECONDS",
                String.valueOf(IDLE_SECONDS),
                "METRICS_PORT",
                String.valueOf(BridgeHarness.freePort())))) {
      // A session whose client keeps its stream open, here in the test.
      assertThat(h.join("faithful", "lease-faithful", "").getSuccess()).isTrue();
      BridgeHarness.AudioStream faithful = h.openStream("faithful");
      // And one joined without ever opening a stream: it lives only as long as its lease.
      assertThat(h.join("streamless", "lease-streamless", "").getSuccess()).isTrue();

      Path script = Path.of("src/test/node/hold-sessions.mjs").toAbsolutePath();
      Path proto = Path.of("../proto/livekit_bridge.proto").toAbsolutePath();
      List<String> users = List.of("doomed-1", "doomed-2", "doomed-3");
      Process backend =
          new ProcessBuilder(
                  TestEnvironment.get().node().toString(),
                  script.toString(),
                  proto.toString(),
                  TestEnvironment.get().nodeIp() + ":" + h.bridge.port(),
                  BridgeHarness.TOKEN,
                  "lease-",
                  users.get(0),
                  users.get(1),
                  users.get(2))
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(backend.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("ready");
      for (String u : users)
        assertThat(h.livekit.participantIdentities("lease-" + u))
            .containsExactly("cloud-agent:" + u);

      backend.destroyForcibly(); // SIGKILL: no LeaveRoom, no clean stream end
      long killedAt = System.nanoTime();
      assertThat(backend.waitFor(5, TimeUnit.SECONDS)).isTrue();
      Poll.until(
          () ->
              users.stream().allMatch(u -> h.livekit.participantIdentities("lease-" + u).isEmpty()),
          Duration.ofSeconds(IDLE_SECONDS + 5),
          "the dead backend's participants to leave");
      System.out.printf(
          "dead backend's 3 participants left %d ms after SIGKILL (SESSION_IDLE_SECONDS=%d)%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt), IDLE_SECONDS);
      assertThat(h.livekit.participantIdentities("lease-streamless"))
          .as("no stream, no calls: expired too")
          .isEmpty();

      // 3x the lease later, the session with an open stream is still there.
      Thread.sleep(
          3L * IDLE_SECONDS * 1000 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));
      assertThat(h.livekit.participantIdentities("lease-faithful"))
          .containsExactly("cloud-agent:faithful");
      assertThat(
              h.stub()
                  .getStatus(
                      com.mentra.bridge.api.BridgeStatusRequest.newBuilder()
                          .setUserId("faithful")
                          .build())
                  .getConnected())
          .isTrue();
      assertThat(MetricsScrape.of(h.bridge).value("livekit_bridge_sessions_expired_total"))
          .isEqualTo(4);
      faithful.finish();
    }
  }
}
