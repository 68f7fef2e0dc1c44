package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.bridge.api.BridgeStatusRequest;
import com.mentra.bridge.api.BridgeStatusResponse;
import com.mentra.testing.Poll;
import io.grpc.Status;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GetStatus follows the participant through a LiveKit outage; shutdown ends everything. */
class BridgeLifecycleTest {
  @Test
  void statusReportsReconnectionAndShutdownEndsSessionsAndStreams() throws Exception {
    try (BridgeHarness h =
        new BridgeHarness(Map.of("METRICS_PORT", String.valueOf(BridgeHarness.freePort())))) {
      assertThat(h.join("u", "life", "").getSuccess()).isTrue();
      BridgeHarness.AudioStream stream = h.openStream("u");
      Poll.until(() -> h.bridge.streamCount() == 1, Duration.ofSeconds(5), "stream");

      h.livekit.kill();
      BridgeStatusResponse lost =
          Poll.forValue(
              () -> {
                BridgeStatusResponse s =
                    h.stub().getStatus(BridgeStatusRequest.newBuilder().setUserId("u").build());
                return s.getConnectionState().equals("RECONNECTING") ? s : null;
              },
              Duration.ofSeconds(5),
              "RECONNECTING");
      System.out.println(
          "during the outage: "
              + lost.getConnectionState()
              + " since "
              + lost.getLastDisconnectAt()
              + ": "
              + lost.getLastDisconnectReason());
      assertThat(lost.getConnected()).isFalse();
      assertThat(lost.getLastDisconnectAt()).isPositive();
      assertThat(lost.getLastDisconnectReason()).isNotEmpty();

      h.livekit.restart();
      Poll.until(
          () ->
              h.stub()
                  .getStatus(BridgeStatusRequest.newBuilder().setUserId("u").build())
                  .getConnected(),
          Duration.ofSeconds(15),
          "CONNECTED again");
      MetricsScrape metrics = MetricsScrape.of(h.bridge);
      double reconnecting =
          metrics.value("livekit_bridge_room_connection_events_total{event=\"reconnecting\"}");
      double recovered =
          metrics.value("livekit_bridge_room_connection_events_total{event=\"recovered\"}");
      System.out.printf(
          "metrics after the outage: reconnecting %.0f, recovered %.0f%n", reconnecting, recovered);
      // One outage, one of each; a flap while the restarted server settles would add a pair.
      assertThat(reconnecting).isPositive().isEqualTo(recovered);
      assertThat(metrics.value("livekit_bridge_room_connection_events_total{event=\"lost\"}"))
          .isZero();

      long start = System.nanoTime();
      h.bridge.shutdown();
      long ms = (System.nanoTime() - start) / 1_000_000;
      System.out.println("shutdown took " + ms + " ms");
      Poll.until(
          () -> stream.error != null || stream.completed, Duration.ofSeconds(5), "stream ended");
      assertThat(Status.fromThrowable(stream.error).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(h.bridge.sessionCount()).isZero();
      Poll.until(
          () -> h.livekit.participantIdentities("life").isEmpty(),
          Duration.ofSeconds(5),
          "left the room");
      assertThat(ms).isLessThan(10_000);
    }
  }

  @Test
  void shutdownEndsASupersededStreamWithoutWaitingOutItsGrace() throws Exception {
    // A newer StreamAudio call replaces an older one without ending it (upstream's behaviour); the
    // older one had no owner left, so shutdown waited the whole grace period for its client.
    try (BridgeHarness h = new BridgeHarness(Map.of("SHUTDOWN_GRACE_SECONDS", "60"))) {
      assertThat(h.join("u", "superseded", "").getSuccess()).isTrue();
      BridgeHarness.AudioStream older = h.openStream("u");
      Poll.until(() -> h.bridge.streamCount() == 1, Duration.ofSeconds(5), "first stream");
      BridgeHarness.AudioStream newer = h.openStream("u");
      Thread.sleep(500); // the newer call registers; the older stays open
      assertThat(older.error).isNull();
      assertThat(older.completed).isFalse();

      long start = System.nanoTime();
      h.bridge.shutdown();
      long ms = (System.nanoTime() - start) / 1_000_000;
      System.out.println("shutdown with a superseded stream took " + ms + " ms");
      for (BridgeHarness.AudioStream stream : java.util.List.of(older, newer)) {
        Poll.until(
            () -> stream.error != null || stream.completed, Duration.ofSeconds(5), "stream ended");
        assertThat(Status.fromThrowable(stream.error).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      }
      assertThat(ms).isLessThan(30_000); // half the grace: nothing waited it out
    }
  }
}
