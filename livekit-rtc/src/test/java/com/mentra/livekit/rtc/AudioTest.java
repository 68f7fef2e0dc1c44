package com.mentra.livekit.rtc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.mentra.testing.LiveKitServerExtension;
import com.mentra.testing.Poll;
import com.mentra.testing.Spectrum;
import com.mentra.testing.TestEnvironment;
import com.mentra.testing.TestPeer;
import com.mentra.testing.Tones;
import com.mentra.testing.Wav;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class AudioTest {
  @RegisterExtension static final LiveKitServerExtension livekit = new LiveKitServerExtension();

  /** Pushes {@code tone} in 10 ms frames on an absolute real-time schedule. */
  static void pushInRealTime(LocalAudioTrack track, short[] tone, int rate) {
    int frame = rate / 100;
    long start = System.nanoTime();
    for (int i = 0, n = 0; i + frame <= tone.length; i += frame, n++) {
      short[] chunk = new short[frame];
      System.arraycopy(tone, i, chunk, 0, frame);
      track.pushFrame(chunk, rate, 1);
      long due = start + (n + 1) * 10_000_000L;
      long wait = due - System.nanoTime();
      if (wait > 0) LockSupport.parkNanos(wait);
    }
  }

  @Test
  void publishedToneReachesThePeerAtTheRightPitchAndLevel() throws Exception {
    Path recording = TestEnvironment.outputDir("audio").resolve("peer-heard-440.wav");
    int amplitude = 8000;
    try (Room room =
            Room.connect(
                livekit.wsUrl(),
                livekit.token("audio-out", "java-bot"),
                RoomOptions.defaults(),
                new RecordingListener());
        TestPeer peer = livekit.joinPeer("audio-out", "peer")) {
      peer.record("java-bot", recording, 48000);
      LocalAudioTrack track = room.publishAudio(LocalAudioTrackOptions.microphone("tone"));
      assertThat(track.sid()).startsWith("TR_");
      peer.awaitEvent(
          "trackSubscribed",
          e -> e.get("trackSid").asText().equals(track.sid()),
          Duration.ofSeconds(5));
      short[] tone = Tones.sine(440, 16000, amplitude, 3000);
      pushInRealTime(track, tone, 16000);
      Thread.sleep(300);
      TestPeer.Recording heard = peer.stopRecording();

      Wav.Audio audio = Wav.read(heard.path());
      int first = Spectrum.firstSoundIndex(audio.samples(), audio.sampleRate(), -40);
      assertThat(first).as("the peer heard something").isGreaterThanOrEqualTo(0);
      short[] steady =
          Spectrum.slice(
              audio.samples(), first + audio.sampleRate() / 5, first + audio.sampleRate() * 5 / 2);
      double frequency = Spectrum.dominantFrequency(steady, audio.sampleRate());
      double sentDb = Spectrum.rmsDbfs(tone);
      double heardDb = Spectrum.rmsDbfs(steady);
      System.out.printf(
          "peer heard %.2f Hz at %.2f dBFS (sent %.2f dBFS)%n", frequency, heardDb, sentDb);
      assertThat(frequency).isCloseTo(440, within(2.0));
      assertThat(heardDb).isCloseTo(sentDb, within(3.0));

      track.unpublish();
      peer.awaitEvent(
          "trackUnpublished",
          e -> e.get("trackSid").asText().equals(track.sid()),
          Duration.ofSeconds(5));
    }
  }

  @Test
  void peersToneArrivesAs16kMonoFrames() throws Exception {
    ConcurrentLinkedQueue<AudioFrame> frames = new ConcurrentLinkedQueue<>();
    try (Room room =
            Room.connect(
                livekit.wsUrl(),
                livekit.token("audio-in", "java-bot"),
                RoomOptions.defaults(),
                new RecordingListener());
        TestPeer peer = livekit.joinPeer("audio-in", "peer")) {
      AudioSubscription subscription = room.receiveAudio("peer", 16000, 1, frames::add);
      peer.publishTone(1000, 48000, 8000, 3000);
      Poll.until(
          () -> frames.size() >= 250, Duration.ofSeconds(10), "250 frames of the peer's audio");
      AudioFrame sample = frames.peek();
      assertThat(sample.sampleRate()).isEqualTo(16000);
      assertThat(sample.channels()).isEqualTo(1);
      assertThat(sample.samples()).hasSize(160);

      short[] all =
          frames.stream()
              .map(AudioFrame::samples)
              .reduce(
                  new short[0],
                  (a, b) -> {
                    short[] c = new short[a.length + b.length];
                    System.arraycopy(a, 0, c, 0, a.length);
                    System.arraycopy(b, 0, c, a.length, b.length);
                    return c;
                  });
      int first = Spectrum.firstSoundIndex(all, 16000, -40);
      short[] steady = Spectrum.slice(all, first + 1600, first + 1600 + 24000);
      double frequency = Spectrum.dominantFrequency(steady, 16000);
      System.out.printf(
          "Java side received %d frames; dominant %.2f Hz at %.2f dBFS; dropped %d%n",
          frames.size(), frequency, Spectrum.rmsDbfs(steady), subscription.droppedFrames());
      assertThat(frequency).isCloseTo(1000, within(2.0));
      subscription.close();
    }
  }

  @Test
  void audioSubscriptionsLimitWhichTracksAreReceived() throws Exception {
    ConcurrentLinkedQueue<AudioFrame> fromAlice = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<AudioFrame> fromBob = new ConcurrentLinkedQueue<>();
    RoomOptions onlyAlice =
        RoomOptions.builder().audioSubscriptions(java.util.Set.of("alice")).build();
    try (TestPeer alice = livekit.joinPeer("audio-filter", "alice");
        TestPeer bob = livekit.joinPeer("audio-filter", "bob")) {
      // Alice publishes before the bot joins, Bob after: both paths of the filter are exercised.
      alice.publishTone(500, 48000, 8000, 4000);
      try (Room room =
          Room.connect(
              livekit.wsUrl(),
              livekit.token("audio-filter", "java-bot"),
              onlyAlice,
              new RecordingListener())) {
        room.receiveAudio("alice", 16000, 1, fromAlice::add);
        room.receiveAudio("bob", 16000, 1, fromBob::add);
        bob.publishTone(700, 48000, 8000, 3000);
        Poll.until(() -> fromAlice.size() >= 100, Duration.ofSeconds(10), "alice's audio");
        Thread.sleep(1_500);
        System.out.println(
            "frames from alice " + fromAlice.size() + ", from bob " + fromBob.size());
        assertThat(fromBob).isEmpty();
      }
    }
  }
}
