package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.bridge.api.JoinRoomRequest;
import com.mentra.bridge.api.LeaveRoomRequest;
import com.mentra.bridge.api.PlayAudioEvent.EventType;
import com.mentra.testing.TestEnvironment;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** /metrics follows what the bridge does: sessions, streams, joins, playbacks, and the JVM. */
class BridgeMetricsTest {
  @Test
  void metricsFollowSessionsJoinsAndPlaybacks() throws Exception {
    try (BridgeHarness h = new BridgeHarness(Map.of("METRICS_PORT", String.valueOf(BridgeHarness.freePort())));
        AudioFileServer files = new AudioFileServer()) {
      MetricsScrape idle = MetricsScrape.of(h.bridge);
      assertThat(idle.value("livekit_bridge_sessions")).isZero();
      assertThat(idle.samples()).containsKeys("jvm_threads_current", "jvm_memory_used_bytes{area=\"heap\"}", "process_cpu_seconds_total");

      assertThat(h.join("metered", "metrics-room", "").getSuccess()).isTrue();
      assertThat(h.stub().joinRoom(JoinRoomRequest.newBuilder().setUserId("refused").setRoomName("metrics-room")
          .setLivekitUrl("ws://" + TestEnvironment.get().nodeIp() + ":1").build()).getSuccess()).isFalse();
      BridgeHarness.AudioStream stream = h.openStream("metered");
      BridgeHarness.await(() -> h.bridge.streamCount() == 1 ? true : null, Duration.ofSeconds(5), "the stream");
      PlaybackTest.Events missing = new PlaybackTest.Events();
      h.async.playAudio(com.mentra.bridge.api.PlayAudioRequest.newBuilder().setUserId("metered").setRequestId("m1")
          .setAudioUrl(files.url("/missing.wav")).build(), missing);
      assertThat(missing.terminal(Duration.ofSeconds(10)).getType()).isEqualTo(EventType.FAILED);

      MetricsScrape busy = MetricsScrape.of(h.bridge);
      System.out.printf("metrics while busy: sessions %.0f, streams %.0f, joins ok %.0f failed %.0f, join p(count) %.0f sum %.3f s, failed playbacks %.0f%n",
          busy.value("livekit_bridge_sessions"), busy.value("livekit_bridge_streams"),
          busy.value("livekit_bridge_joins_total{result=\"success\"}"), busy.value("livekit_bridge_joins_total{result=\"failed\"}"),
          busy.value("livekit_bridge_join_duration_seconds_count"), busy.value("livekit_bridge_join_duration_seconds_sum"),
          busy.value("livekit_bridge_playbacks_total{outcome=\"failed\"}"));
      assertThat(busy.value("livekit_bridge_sessions")).isEqualTo(1);
      assertThat(busy.value("livekit_bridge_streams")).isEqualTo(1);
      assertThat(busy.value("livekit_bridge_joins_total{result=\"success\"}")).isEqualTo(1);
      assertThat(busy.value("livekit_bridge_joins_total{result=\"failed\"}")).isEqualTo(1);
      assertThat(busy.value("livekit_bridge_join_duration_seconds_count")).isEqualTo(1);
      assertThat(busy.value("livekit_bridge_join_duration_seconds_sum")).isBetween(0.0, 10.0);
      assertThat(busy.value("livekit_bridge_playbacks_total{outcome=\"failed\"}")).isEqualTo(1);
      assertThat(busy.text()).as("a refused join is a failed join, not a room connection change")
          .doesNotContain("livekit_bridge_room_connection_events_total{");

      stream.finish();
      assertThat(h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId("metered").build()).getSuccess()).isTrue();
      BridgeHarness.await(() -> h.bridge.streamCount() == 0 ? true : null, Duration.ofSeconds(5), "the stream to end");
      MetricsScrape after = MetricsScrape.of(h.bridge);
      assertThat(after.value("livekit_bridge_sessions")).isZero();
      assertThat(after.value("livekit_bridge_streams")).isZero();
    }
  }
}
