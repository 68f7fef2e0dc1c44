package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.bridge.api.LeaveRoomRequest;
import com.mentra.testing.NativeThreads;
import com.mentra.testing.Poll;
import com.mentra.testing.TestEnvironment;
import com.mentra.testing.TestPeer;
import com.mentra.testing.Tones;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 12: a session whose client stopped streaming up holds no native encoder thread. The uplink
 * track is unpublished after {@value UplinkPublisher#IDLE_UNPUBLISH_MS} ms without a chunk (as idle
 * playback tracks are), and the next audio publishes a fresh track, which is heard; over several
 * cycles the encoder threads come back to where they were.
 */
class UplinkIdleTest {
  private static final int CYCLES = 3;
  private static BridgeHarness h;

  @BeforeAll
  static void start() throws Exception {
    h = new BridgeHarness();
  }

  @AfterAll
  static void stop() throws Exception {
    if (h != null) h.close();
  }

  /** libwebrtc's per-send-stream encoder threads in this JVM. */
  static long encoderThreads() {
    return NativeThreads.count("AudioEncoder");
  }

  static boolean uplinkPublished(TestPeer listener, String identity) {
    return listener.remoteParticipants().stream()
        .filter(p -> p.identity().equals(identity))
        .anyMatch(p -> p.tracks().stream().anyMatch(t -> t.name().equals(TrackNames.uplink(0))));
  }

  /** {@code ms} of a 440 Hz tone in 50 ms chunks at real-time pace. */
  static void talk(BridgeHarness.AudioStream stream, int ms) throws InterruptedException {
    for (int c = 0; c < ms / 50; c++) {
      stream.send(Tones.toBytes(Tones.sine(440, 16_000, 8_000, c * 800L, 800)), 16_000, 1);
      Thread.sleep(50);
    }
  }

  @Test
  void anIdleUplinkIsUnpublishedAndTheNextAudioIsHeardOnAFreshTrack() throws Exception {
    String room = "uplink-idle";
    String user = "idler";
    String identity = "cloud-agent:" + user;
    try (TestPeer listener =
        TestPeer.join("listener", h.livekit.wsUrl(), h.livekit.token(room, "listener"))) {
      assertThat(h.join(user, room, "").getSuccess()).isTrue();
      BridgeHarness.AudioStream stream = h.openStream(user);
      long before = encoderThreads();
      StringBuilder figures = new StringBuilder();
      for (int cycle = 1; cycle <= CYCLES; cycle++) {
        Path file = TestEnvironment.outputDir("bridge").resolve("uplink-idle-" + cycle + ".wav");
        listener.record(identity, file, 48_000);
        talk(stream, 1_500);
        Poll.until(
            () -> uplinkPublished(listener, identity),
            Duration.ofSeconds(10),
            "cycle " + cycle + "'s uplink track published");
        long talking = encoderThreads();
        Thread.sleep(500);
        TestPeer.Recording heard = listener.stopRecording();
        assertThat(heard.loudRuns()).as("cycle %d's audio at the listener", cycle).isNotEmpty();
        assertThat(talking).as("encoder threads while talking").isEqualTo(before + 1);

        // The stream stays open; the client sends nothing.
        long quietAt = System.nanoTime();
        Poll.until(
            () -> !uplinkPublished(listener, identity),
            Duration.ofSeconds(20),
            "cycle " + cycle + "'s idle uplink track unpublished");
        long unpublishedAfterMs = (System.nanoTime() - quietAt) / 1_000_000;
        Poll.until(
            () -> encoderThreads() == before,
            Duration.ofSeconds(10),
            "cycle " + cycle + "'s encoder thread to end (now " + encoderThreads() + ")");
        assertThat(unpublishedAfterMs)
            .as("not before the idle time (minus the 500 ms already waited)")
            .isGreaterThanOrEqualTo(UplinkPublisher.IDLE_UNPUBLISH_MS - 1_000);
        figures.append(
            String.format(
                " cycle %d: heard %d run(s), unpublished %d ms after the last chunk, encoders %d -> %d -> %d;",
                cycle, heard.loudRuns().size(), unpublishedAfterMs + 500, before, talking, before));
      }
      System.out.println("idle uplink:" + figures);
      stream.finish();
    } finally {
      h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId(user).build());
    }
  }
}
