package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.mentra.bridge.api.LeaveRoomRequest;
import com.mentra.bridge.api.PlayAudioEvent;
import com.mentra.bridge.api.PlayAudioEvent.EventType;
import com.mentra.bridge.api.PlayAudioRequest;
import com.mentra.bridge.api.StopAudioRequest;
import com.mentra.testing.Poll;
import com.mentra.testing.Spectrum;
import com.mentra.testing.TestEnvironment;
import com.mentra.testing.TestPeer;
import com.mentra.testing.Wav;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** PlayAudio and StopAudio end to end: local HTTP server, bridge, LiveKit, rtc-node peer. */
class PlaybackTest {
  private static BridgeHarness h;
  private static AudioFileServer files;

  @BeforeAll
  static void start() throws Exception {
    h = new BridgeHarness(Map.of("MAX_AUDIO_BYTES", String.valueOf(8 * 1024 * 1024)));
    files = new AudioFileServer();
  }

  @AfterAll
  static void stop() throws Exception {
    if (files != null) files.close();
    if (h != null) h.close();
  }

  /** Collects a PlayAudio call's events with their arrival times. */
  static final class Events implements StreamObserver<PlayAudioEvent> {
    final long calledAt = System.nanoTime();
    final List<PlayAudioEvent> events = new CopyOnWriteArrayList<>();
    final List<Long> at = new CopyOnWriteArrayList<>();
    volatile boolean done;
    volatile Throwable error;

    @Override
    public void onNext(PlayAudioEvent value) {
      at.add(System.nanoTime());
      events.add(value);
    }

    @Override
    public void onError(Throwable t) {
      error = t;
      done = true;
    }

    @Override
    public void onCompleted() {
      done = true;
    }

    PlayAudioEvent terminal(Duration timeout) {
      Poll.until(() -> done, timeout, "terminal event, have " + events);
      assertThat(error).isNull();
      PlayAudioEvent last = events.get(events.size() - 1);
      assertThat(last.getType()).isIn(EventType.COMPLETED, EventType.FAILED);
      return last;
    }

    long startedAfterMs() {
      for (int i = 0; i < events.size(); i++) {
        if (events.get(i).getType() == EventType.STARTED) return (at.get(i) - calledAt) / 1_000_000;
      }
      return -1;
    }
  }

  static Events play(String user, String requestId, String url, int trackId, boolean stopOther) {
    Events events = new Events();
    h.async.playAudio(
        PlayAudioRequest.newBuilder()
            .setUserId(user)
            .setRequestId(requestId)
            .setAudioUrl(url)
            .setTrackId(trackId)
            .setStopOther(stopOther)
            .build(),
        events);
    return events;
  }

  @ParameterizedTest(name = "{0} reaches the peer at 440 Hz and completes after 2000 ms")
  @CsvSource({"/tone.wav", "/tone.mp3"})
  void urlAudioReachesThePeer(String path) throws Exception {
    String room = "play" + path.replace('/', '-').replace('.', '-');
    Path recording =
        TestEnvironment.outputDir("bridge").resolve("played" + path.replace('/', '-') + ".wav");
    try (TestPeer peer = h.livekit.joinPeer(room, "listener")) {
      assertThat(h.join("player", room, "").getSuccess()).isTrue();
      peer.record("cloud-agent:player", recording, 48_000);
      Events first = play("player", "r1", files.url(path), 0, false);
      PlayAudioEvent done = first.terminal(Duration.ofSeconds(15));
      Thread.sleep(300);
      TestPeer.Recording heard = peer.stopRecording();

      assertThat(first.events.get(0).getType()).isEqualTo(EventType.STARTED);
      assertThat(done.getType()).as(done.getError()).isEqualTo(EventType.COMPLETED);
      assertThat(done.getStopReason()).isEmpty();
      assertThat(done.getRequestId()).isEqualTo("r1");
      System.out.printf(
          "%s: STARTED %d ms after the call (first playback, publishes the track); COMPLETED duration %d ms; %d PROGRESS events%n",
          path,
          first.startedAfterMs(),
          done.getDurationMs(),
          first.events.stream().filter(e -> e.getType() == EventType.PROGRESS).count());
      assertThat(done.getDurationMs()).isCloseTo(2000L, within(50L));
      assertThat(first.events)
          .filteredOn(e -> e.getType() == EventType.PROGRESS)
          .extracting(PlayAudioEvent::getPositionMs)
          .isNotEmpty()
          .allMatch(p -> p % 1000 == 0 && p <= 2000);

      Wav.Audio audio = Wav.read(heard.path());
      int firstSound = Spectrum.firstSoundIndex(audio.samples(), audio.sampleRate(), -40);
      assertThat(firstSound).as("the peer heard the playback").isGreaterThanOrEqualTo(0);
      short[] steady =
          Spectrum.slice(audio.samples(), firstSound + 4_800, firstSound + 4_800 + 72_000);
      double frequency = Spectrum.dominantFrequency(steady, audio.sampleRate());
      System.out.printf("%s: peer heard %.2f Hz%n", path, frequency);
      assertThat(frequency).isCloseTo(440, within(2.0));

      // The track is published now: a second playback starts quickly.
      Events second = play("player", "r2", files.url(path), 0, false);
      second.terminal(Duration.ofSeconds(15));
      System.out.printf(
          "%s: STARTED %d ms after the call (track already published)%n",
          path, second.startedAfterMs());
      assertThat(second.startedAfterMs())
          .as("generous: 367 ms was seen once with other test runs on the 2 cores")
          .isBetween(0L, 400L);
    } finally {
      h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId("player").build());
    }
  }

  @Test
  void stopAudioSilencesThePeerQuicklyAndEndsTheStream() throws Exception {
    String room = "stop-room";
    Path recording = TestEnvironment.outputDir("bridge").resolve("stopped.wav");
    try (TestPeer peer = h.livekit.joinPeer(room, "listener")) {
      assertThat(h.join("stopper", room, "").getSuccess()).isTrue();
      // Reference: how long after a playback's natural end the peer still receives its sound. That
      // is
      // the room's audio path (encoder, SFU, the peer's jitter buffer), which no bridge can
      // shorten.
      peer.record("cloud-agent:stopper", recording, 48_000);
      Events natural = play("stopper", "natural", files.url("/tone.wav"), 0, false);
      natural.terminal(Duration.ofSeconds(10));
      long naturalEndAtMs = wallClockOf(natural, natural.events.size() - 1);
      Thread.sleep(700);
      long pathLatencyMs = peer.stopRecording().lastLoudAtMs() - naturalEndAtMs;

      peer.record("cloud-agent:stopper", recording, 48_000);
      Events events = play("stopper", "long", files.url("/long.wav"), 0, false);
      Poll.until(() -> events.startedAfterMs() >= 0, Duration.ofSeconds(5), "STARTED");
      Thread.sleep(1_500);
      long stopAtMs = System.currentTimeMillis();
      assertThat(
              h.stub()
                  .stopAudio(
                      StopAudioRequest.newBuilder().setUserId("stopper").setTrackId(0).build())
                  .getSuccess())
          .isTrue();
      PlayAudioEvent end = events.terminal(Duration.ofSeconds(5));
      Thread.sleep(700);
      TestPeer.Recording heard = peer.stopRecording();

      assertThat(end.getType()).isEqualTo(EventType.COMPLETED);
      assertThat(end.getStopReason()).isEqualTo("stopped");
      assertThat(end.getDurationMs()).isBetween(1_000L, 3_000L);
      assertThat(heard.lastLoudAtMs()).isPositive();
      long rawMs = heard.lastLoudAtMs() - stopAtMs;
      System.out.printf(
          "the peer received its last loud frame %d ms after StopAudio was called; after a natural end it "
              + "receives sound for %d ms (the room's audio path), so the stop took %d ms; terminal event %d ms after the call%n",
          rawMs,
          pathLatencyMs,
          rawMs - pathLatencyMs,
          wallClockOf(events, events.events.size() - 1) - stopAtMs);
      // Quiet machine: 10-60 ms. Generous for a loaded CI machine (161 ms seen at load 15); a stop
      // that did not work would leave the file's remaining seconds.
      assertThat(rawMs - pathLatencyMs).isLessThanOrEqualTo(400);
    } finally {
      h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId("stopper").build());
    }
  }

  @Test
  void cancellingThePlayAudioCallStopsItsPlayback() throws Exception {
    String room = "cancel-room";
    Path recording = TestEnvironment.outputDir("bridge").resolve("cancelled.wav");
    try (TestPeer peer = h.livekit.joinPeer(room, "listener")) {
      assertThat(h.join("canceller", room, "").getSuccess()).isTrue();
      peer.record("cloud-agent:canceller", recording, 48_000);
      Events events = new Events();
      Context.CancellableContext call = Context.current().withCancellation();
      call.run(
          () ->
              h.async.playAudio(
                  PlayAudioRequest.newBuilder()
                      .setUserId("canceller")
                      .setRequestId("cancelled")
                      .setAudioUrl(files.url("/long.wav"))
                      .build(),
                  events));
      Poll.until(() -> events.startedAfterMs() >= 0, Duration.ofSeconds(5), "STARTED");
      Thread.sleep(1_500);
      long cancelAtMs = System.currentTimeMillis();
      call.cancel(null);
      Thread.sleep(1_500);
      TestPeer.Recording heard = peer.stopRecording();

      long lastLoudAfterCancelMs = heard.lastLoudAtMs() - cancelAtMs;
      System.out.printf(
          "the peer received its last loud frame %d ms after the PlayAudio call was cancelled "
              + "(the 10 s file had 8.5 s left)%n",
          lastLoudAfterCancelMs);
      // The room's own audio path is about 200 ms (see the StopAudio test); the file would go on
      // for seconds.
      // Generous for a loaded CI machine (615 ms seen at load 15); not cancelled, it would go on
      // for 8.5 s.
      assertThat(lastLoudAfterCancelMs).isBetween(0L, 1_500L);
      // The session is unharmed: the next playback on the same track plays to its end.
      assertThat(
              play("canceller", "after", files.url("/tone.wav"), 0, false)
                  .terminal(Duration.ofSeconds(10))
                  .getType())
          .isEqualTo(EventType.COMPLETED);
    } finally {
      h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId("canceller").build());
    }
  }

  /** Wall-clock ms at which event {@code i} arrived. */
  static long wallClockOf(Events events, int i) {
    return System.currentTimeMillis() - (System.nanoTime() - events.at.get(i)) / 1_000_000;
  }

  @Test
  void trackIdAndStopOtherSemantics() throws Exception {
    String room = "tracks-room";
    try (TestPeer peer = h.livekit.joinPeer(room, "listener")) {
      assertThat(h.join("multi", room, "").getSuccess()).isTrue();
      Events speaker = play("multi", "speaker-1", files.url("/long.wav"), 0, false);
      Events tts = play("multi", "tts-1", files.url("/long660.wav"), 2, false);
      Poll.until(
          () -> speaker.startedAfterMs() >= 0 && tts.startedAfterMs() >= 0,
          Duration.ofSeconds(5),
          "both started");
      // Two tracks play at once, as two published tracks the peer sees.
      Poll.until(
          () ->
              peer.participants().toString().contains("\"speaker\"")
                  && peer.participants().toString().contains("\"tts\""),
          Duration.ofSeconds(5),
          "speaker and tts tracks at the peer: " + peer.participants());
      Thread.sleep(300);
      assertThat(speaker.done).isFalse();
      assertThat(tts.done).isFalse();

      // Same track, stop_other=false: replaces only that track.
      Events speaker2 = play("multi", "speaker-2", files.url("/long.wav"), 0, false);
      assertThat(speaker.terminal(Duration.ofSeconds(5)).getStopReason()).isEqualTo("replaced");
      Thread.sleep(300);
      assertThat(tts.done).as("tts keeps playing").isFalse();

      // stop_other=true on another track: stops everything else.
      Events app = play("multi", "app-1", files.url("/tone.wav"), 1, true);
      assertThat(speaker2.terminal(Duration.ofSeconds(5)).getStopReason()).isEqualTo("replaced");
      assertThat(tts.terminal(Duration.ofSeconds(5)).getStopReason()).isEqualTo("replaced");
      PlayAudioEvent appEnd = app.terminal(Duration.ofSeconds(10));
      assertThat(appEnd.getType()).isEqualTo(EventType.COMPLETED);
      assertThat(appEnd.getStopReason()).isEmpty();

      // StopAudio with -1 stops every track.
      Events a = play("multi", "a", files.url("/long.wav"), 0, false);
      Events b = play("multi", "b", files.url("/long.wav"), 2, false);
      Poll.until(
          () -> a.startedAfterMs() >= 0 && b.startedAfterMs() >= 0,
          Duration.ofSeconds(5),
          "both started");
      assertThat(
              h.stub()
                  .stopAudio(
                      StopAudioRequest.newBuilder().setUserId("multi").setTrackId(-1).build())
                  .getSuccess())
          .isTrue();
      assertThat(a.terminal(Duration.ofSeconds(5)).getStopReason()).isEqualTo("stopped");
      assertThat(b.terminal(Duration.ofSeconds(5)).getStopReason()).isEqualTo("stopped");
    } finally {
      h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId("multi").build());
    }
  }

  @ParameterizedTest(name = "{0} fails with an error naming {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "/status/404|HTTP 404",
        "/status/500|HTTP 500",
        "/page.html|not audio",
        "/truncated.wav|truncated",
        "/truncated-data.wav|WAV truncated at 9",
        "/huge-header.wav|more than the 900 s limit",
        "/random.mp3|MP3",
        "/slow.wav|no audio bytes",
        "/loop|redirects",
        "/big.wav|limit",
        "ftp://example.invalid/a.wav|only http and https"
      })
  void badAudioFailsClearlyWithoutHurtingOtherSessions(String path, String expected)
      throws Exception {
    String room = "bad-room";
    assertThat(h.join("victim", room, "").getSuccess()).isTrue();
    assertThat(h.join("bystander", room + "-2", "").getSuccess()).isTrue();
    try {
      Events healthy = play("bystander", "ok", files.url("/tone.wav"), 0, false);
      Events bad = play("victim", "bad", path.startsWith("/") ? files.url(path) : path, 0, false);
      PlayAudioEvent end = bad.terminal(Duration.ofSeconds(30));
      System.out.printf("%-14s -> %s: %s%n", path, end.getType(), end.getError());
      assertThat(end.getType()).isEqualTo(EventType.FAILED);
      assertThat(end.getError()).contains(expected);
      PlayAudioEvent ok = healthy.terminal(Duration.ofSeconds(15));
      assertThat(ok.getType()).isEqualTo(EventType.COMPLETED);
      assertThat(ok.getDurationMs()).isCloseTo(2000L, within(50L));
    } finally {
      h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId("victim").build());
      h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId("bystander").build());
    }
  }
}
