package com.mentra.livekit.rtc;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.testing.LiveKitServerExtension;
import com.mentra.testing.Poll;
import com.mentra.testing.TestPeer;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class JoinLeaveTest {
  @RegisterExtension static final LiveKitServerExtension livekit = new LiveKitServerExtension();

  @BeforeAll
  static void warmUp() throws Exception {
    // Load libwebrtc once, so the timing below measures joining, not native library loading.
    Room.connect(livekit.wsUrl(), livekit.token("warmup", "warmup"), RoomOptions.defaults(), null)
        .close();
  }

  @Test
  void peerSeesTheJavaParticipantAndTheServerForgetsItAfterLeave() throws Exception {
    try (TestPeer peer = livekit.joinPeer("join-leave", "peer")) {
      long startMs = System.currentTimeMillis();
      RecordingListener events = new RecordingListener();
      Room room =
          Room.connect(
              livekit.wsUrl(),
              livekit.token("join-leave", "java-bot"),
              RoomOptions.defaults(),
              events);
      Poll.until(
          () -> livekit.server().participantIdentities("join-leave").contains("java-bot"),
          Duration.ofMillis(2_000 - (System.currentTimeMillis() - startMs)),
          "RoomService to list java-bot within 2 s of connect");
      System.out.println(
          "RoomService listed the Java participant "
              + (System.currentTimeMillis() - startMs)
              + " ms after connect() was called");
      // LiveKit batches the join of a participant without tracks to others every 3 s
      // (subscriberUpdateInterval in livekit-server's pkg/rtc/room.go), so the peer may learn of it
      // later.
      var seen =
          peer.awaitEvent(
              "participantConnected",
              e -> e.get("identity").asText().equals("java-bot"),
              Duration.ofSeconds(4));
      System.out.println(
          "peer saw the Java participant "
              + (seen.get("atMs").asLong() - startMs)
              + " ms after connect() was called");
      assertThat(room.connectionState()).isEqualTo(ConnectionState.CONNECTED);
      assertThat(room.remoteParticipants())
          .extracting(RemoteParticipant::identity)
          .containsExactly("peer");
      assertThat(room.localIdentity()).isEqualTo("java-bot");
      assertThat(room.serverVersion()).isEqualTo("1.13.5");

      room.close();
      room.close(); // idempotent
      assertThat(room.connectionState()).isEqualTo(ConnectionState.DISCONNECTED);
      long left = System.nanoTime();
      Poll.forValue(
          () ->
              livekit.server().participantIdentities("join-leave").contains("java-bot")
                  ? null
                  : Boolean.TRUE,
          Duration.ofSeconds(2),
          "RoomService to stop listing java-bot");
      System.out.println(
          "RoomService dropped the participant "
              + (System.nanoTime() - left) / 1_000_000
              + " ms after close()");
      peer.awaitEvent(
          "participantDisconnected",
          e -> e.get("identity").asText().equals("java-bot"),
          Duration.ofSeconds(10));
    }
  }

  @Test
  void peerSeesAPublishingParticipantWithinTwoSeconds() throws Exception {
    try (TestPeer peer = livekit.joinPeer("join-publish", "peer")) {
      long startMs = System.currentTimeMillis();
      try (Room room =
          Room.connect(
              livekit.wsUrl(),
              livekit.token("join-publish", "java-bot"),
              RoomOptions.defaults(),
              null)) {
        room.publishAudio(LocalAudioTrackOptions.microphone("mic"));
        var seen =
            peer.awaitEvent(
                "participantConnected",
                e -> e.get("identity").asText().equals("java-bot"),
                Duration.ofSeconds(2));
        long seenMs = seen.get("atMs").asLong() - startMs;
        System.out.println(
            "peer saw the publishing Java participant "
                + seenMs
                + " ms after connect() was called");
        assertThat(seenMs).isLessThanOrEqualTo(2_000);
      }
    }
  }

  @Test
  void closingFromAListenerCallbackDoesNotDeadlock() throws Exception {
    Room[] holder = new Room[1];
    RecordingListener events =
        new RecordingListener() {
          @Override
          public void onParticipantConnected(RemoteParticipant participant) {
            holder[0].close();
          }
        };
    holder[0] =
        Room.connect(
            livekit.wsUrl(),
            livekit.token("close-in-callback", "java-bot"),
            RoomOptions.defaults(),
            events);
    try (TestPeer peer = livekit.joinPeer("close-in-callback", "peer")) {
      events.awaitState(ConnectionState.DISCONNECTED, Duration.ofSeconds(10));
      assertThat(holder[0].connectionState()).isEqualTo(ConnectionState.DISCONNECTED);
    }
  }
}
