package com.mentra.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.mentra.testing.TestPeer.OutgoingData;
import com.mentra.testing.TestPeer.ReceivedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The harness against itself: a real livekit-server and two rtc-node peers in the test namespace.
 */
class HarnessTest {
  private static LiveKitServerProcess server;

  @BeforeAll
  static void startServer() {
    server = LiveKitServerProcess.start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) server.close();
  }

  @Test
  void peersSeeEachOtherAndTheServerListsThem() {
    try (TestPeer a = TestPeer.join("see-a", server.wsUrl(), server.token("see", "alice"));
        TestPeer b = TestPeer.join("see-b", server.wsUrl(), server.token("see", "bob"))) {
      assertThat(a.identity()).isEqualTo("alice");
      assertThat(b.sid()).startsWith("PA_");
      a.awaitEvent(
          "participantConnected",
          e -> e.path("identity").asText().equals("bob"),
          Duration.ofSeconds(10));
      assertThat(a.participantIdentities()).containsExactly("bob");
      assertThat(server.listParticipantIdentities("see")).containsExactlyInAnyOrder("alice", "bob");
      assertThat(server.listParticipantIdentities("no-such-room")).isEmpty();
      b.leave();
      a.awaitEvent(
          "participantDisconnected",
          e -> e.path("identity").asText().equals("bob"),
          Duration.ofSeconds(10));
    }
  }

  @Test
  void dataFromOnePeerArrivesAtTheOtherInOrder() {
    try (TestPeer a = TestPeer.join("data-a", server.wsUrl(), server.token("data", "alice"));
        TestPeer b = TestPeer.join("data-b", server.wsUrl(), server.token("data", "bob"))) {
      a.awaitEvent(
          "participantConnected",
          e -> e.path("identity").asText().equals("bob"),
          Duration.ofSeconds(10));
      List<OutgoingData> packets = new ArrayList<>();
      for (int i = 0; i < 50; i++)
        packets.add(OutgoingData.reliable(("reliable " + i).getBytes(StandardCharsets.UTF_8), "t"));
      packets.add(new OutgoingData(new byte[15_000], true, "big", List.of("bob")));
      assertThat(a.sendData(packets)).isEqualTo(51);

      List<ReceivedData> got = b.awaitData(51, Duration.ofSeconds(10));
      assertThat(got).hasSize(51);
      for (int i = 0; i < 50; i++) {
        assertThat(new String(got.get(i).payload(), StandardCharsets.UTF_8))
            .isEqualTo("reliable " + i);
        assertThat(got.get(i).from()).isEqualTo("alice");
        assertThat(got.get(i).topic()).isEqualTo("t");
        assertThat(got.get(i).reliable()).isTrue();
      }
      assertThat(got.get(50).payload()).hasSize(15_000);
      assertThat(got.get(50).topic()).isEqualTo("big");

      a.sendData(List.of(OutgoingData.lossy("lossy".getBytes(StandardCharsets.UTF_8), "l")), 0);
      ReceivedData lossy =
          b.awaitData(1, d -> d.topic().equals("l"), Duration.ofSeconds(5)).getFirst();
      assertThat(lossy.kind()).isEqualTo("lossy");
      assertThat(lossy.receivedAtMs()).isPositive();
    }
  }

  @Test
  void aToneWavPublishedByOnePeerIsRecordedByTheOtherAt440Hz() throws Exception {
    Path dir = TestEnvironment.outputDir("harness");
    Path wav = dir.resolve("tone-440.wav");
    Wav.write(wav, Tones.sine(440, 48_000, 8000, 3000), 48_000, 1);
    Path recording = dir.resolve("heard-440.wav");
    try (TestPeer a = TestPeer.join("tone-a", server.wsUrl(), server.token("tone", "alice"));
        TestPeer b = TestPeer.join("tone-b", server.wsUrl(), server.token("tone", "bob"))) {
      b.record("alice", recording, 48_000);
      String sid = a.publishWav(wav, "tone");
      b.awaitEvent(
          "trackSubscribed", e -> e.path("trackSid").asText().equals(sid), Duration.ofSeconds(10));
      assertThat(b.remoteParticipants())
          .singleElement()
          .satisfies(
              p -> {
                assertThat(p.identity()).isEqualTo("alice");
                assertThat(p.tracks())
                    .singleElement()
                    .satisfies(
                        t -> {
                          assertThat(t.sid()).isEqualTo(sid);
                          assertThat(t.kind()).isEqualTo("audio");
                          assertThat(t.source()).isEqualTo("microphone");
                          assertThat(t.name()).isEqualTo("tone");
                        });
              });
      a.awaitPublishDone(sid, Duration.ofSeconds(15));
      Thread.sleep(300);
      TestPeer.Recording heard = b.stopRecording();
      assertThat(heard.identity()).isEqualTo("alice");
      assertThat(heard.firstLoudAtMs()).isGreaterThanOrEqualTo(heard.firstFrameAtMs()).isPositive();

      short[] samples = heard.read().samples();
      int start = Spectrum.firstSoundIndex(samples, 48_000, -40);
      assertThat(start).as("sound in the recording").isNotNegative();
      short[] steady =
          Spectrum.slice(
              samples, start + 4_800, start + 4_800 + 96_000); // 2 s after the first 100 ms
      assertThat(Spectrum.dominantFrequency(steady, 48_000)).isCloseTo(440, within(2.0));
      assertThat(Spectrum.rmsDbfs(steady)).isBetween(-20.0, -10.0); // 8000/32768 sine is -15.3 dBFS
      assertThat(Spectrum.longestGapMs(steady, 48_000, -40)).isLessThan(50);
    }
  }

  @Test
  void aGeneratedToneCanBeUnpublished() {
    try (TestPeer a = TestPeer.join("unpub-a", server.wsUrl(), server.token("unpub", "alice"));
        TestPeer b = TestPeer.join("unpub-b", server.wsUrl(), server.token("unpub", "bob"))) {
      String sid = a.publishTone(1000, 48_000, 2, 8000, 10_000);
      b.awaitEvent(
          "trackPublished", e -> e.path("trackSid").asText().equals(sid), Duration.ofSeconds(10));
      a.unpublish();
      b.awaitEvent(
          "trackUnpublished", e -> e.path("trackSid").asText().equals(sid), Duration.ofSeconds(10));
      assertThat(a.hasEvent("publishDone", e -> true)).isFalse();
    }
  }

  @Test
  void badRequestsAnswerErrorsAndThePeerLivesOn() {
    try (TestPeer a = TestPeer.start("bad")) {
      assertThatThrownBy(() -> a.call("noSuchCommand", Map.of(), Duration.ofSeconds(5)))
          .hasMessageContaining("unknown command 'noSuchCommand'");
      assertThatThrownBy(() -> a.sendData(List.of(OutgoingData.reliable(new byte[1], "x"))))
          .hasMessageContaining("not connected");
      assertThatThrownBy(() -> a.stopRecording()).hasMessageContaining("not recording");
      assertThatThrownBy(
              () ->
                  a.joinRoom(
                      server.wsUrl(), server.token("bad", "late", Duration.ofMinutes(-5)), true))
          .hasMessageContaining("join failed");
      assertThat(a.call("ping", Map.of(), Duration.ofSeconds(5)).path("pong").asBoolean()).isTrue();
      assertThat(a.isAlive()).isTrue();
    }
  }

  @Test
  void aKilledServerStartsAgainOnTheSamePortsAndPeersJoinAgain() {
    try (LiveKitServerProcess own = LiveKitServerProcess.start()) {
      String url = own.wsUrl();
      try (TestPeer a = TestPeer.join("restart-a", url, own.token("restart", "alice"))) {
        own.kill();
        assertThat(own.isRunning()).isFalse();
        own.restart();
        assertThat(own.wsUrl()).isEqualTo(url);
        a.awaitEvent(
            e -> {
              String type = e.path("event").asText();
              return type.equals("disconnected") || type.equals("reconnected");
            },
            Duration.ofSeconds(30));
      }
      try (TestPeer again = TestPeer.join("restart-b", url, own.token("restart", "bob"))) {
        assertThat(own.listParticipantIdentities("restart")).contains(again.identity());
      }
    }
    assertThat(server.isRunning()).isTrue();
  }
}
