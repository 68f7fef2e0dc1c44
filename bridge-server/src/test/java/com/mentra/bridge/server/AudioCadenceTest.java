package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.bridge.api.LeaveRoomRequest;
import com.mentra.bridge.api.PlayAudioEvent;
import com.mentra.bridge.api.PlayAudioEvent.EventType;
import com.mentra.bridge.api.StopAudioRequest;
import com.mentra.testing.Poll;
import com.mentra.testing.Spectrum;
import com.mentra.testing.TestEnvironment;
import com.mentra.testing.TestPeer;
import com.mentra.testing.Tones;
import com.mentra.testing.Wav;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 9, items 1 and 2, heard by a long-subscribed rtc-node listener: bursts after pauses keep
 * their latency (uplink, against rtc-node's own AudioSource as a control), successive plays start
 * promptly and end without a concealment tail, StopAudio silences quickly, and a fresh track starts
 * at the file's level.
 *
 * <p>Times at the listener are when the peer received the first and last loud 10 ms frame of each
 * sound (its wall clock, the same machine's as this JVM's); levels and tails come from the
 * recording.
 *
 * <p>The bounds are the figures. The continuous stream runs first: it warms the bridge's
 * uplink path (a JVM that has just started is still compiling it, and its first two seconds of
 * uplink were heard ~50 ms later at load 5), so the talk spurts measure the steady state the issue
 * describes, whatever JUnit's default order would be.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AudioCadenceTest {
  private static final int RATE = 48_000;

  /** The AudioFileServer's /tone.wav: 2 s of 440 Hz at amplitude 8000. */
  private static final double FILE_DBFS = Spectrum.rmsDbfs(Tones.sine(440, 16_000, 8_000, 2_000));

  private static BridgeHarness h;
  private static AudioFileServer files;

  @BeforeAll
  static void start() throws Exception {
    h = new BridgeHarness();
    files = new AudioFileServer();
  }

  @AfterAll
  static void stop() throws Exception {
    if (files != null) files.close();
    if (h != null) h.close();
  }

  /** A run of loud 5 ms windows, in samples {@code [start, end)}. */
  record Span(int start, int end) {
    double ms() {
      return (end - start) * 1000.0 / RATE;
    }
  }

  /** Runs of 5 ms windows at or above -40 dBFS, merging runs less than {@code mergeMs} apart. */
  static List<Span> spans(short[] s, int mergeMs) {
    int window = RATE / 200;
    List<Span> out = new ArrayList<>();
    int start = -1;
    int end = -1;
    for (int i = 0; i + window <= s.length; i += window) {
      if (Spectrum.rmsDbfs(s, i, i + window) < -40) continue;
      if (start >= 0 && i - end <= mergeMs * RATE / 1000) {
        end = i + window;
      } else {
        if (start >= 0) out.add(new Span(start, end));
        start = i;
        end = i + window;
      }
    }
    if (start >= 0) out.add(new Span(start, end));
    return out;
  }

  static PlaybackTest.Events play(
      String user, String requestId, String url, int trackId, boolean stopOther) {
    PlaybackTest.Events events = new PlaybackTest.Events();
    h.async.playAudio(
        com.mentra.bridge.api.PlayAudioRequest.newBuilder()
            .setUserId(user)
            .setRequestId(requestId)
            .setAudioUrl(url)
            .setTrackId(trackId)
            .setStopOther(stopOther)
            .build(),
        events);
    return events;
  }

  static void sleepUntil(long nanoTime) throws InterruptedException {
    long wait = nanoTime - System.nanoTime();
    if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
  }

  /**
   * How long a span's end fades: from the end of its last 5 ms window within 3 dB of its steady
   * level to the end of the span, ms. A concealment tail (the listener's decoder extrapolating
   * after the packets stop) fades over ~140 ms; a sound followed by silence ends within a window.
   * Unlike the span's length this ignores the listener's time-stretching, which lengthens a sound
   * at full level when its jitter buffer grows.
   */
  static long fadingTailMs(short[] s, Span span) {
    int window = RATE / 200;
    double steady =
        Spectrum.rmsDbfs(
            s, span.start() + RATE / 5, Math.min(span.end(), span.start() + RATE * 7 / 10));
    int fullEnd = span.start();
    for (int i = span.start(); i + window <= span.end(); i += window) {
      if (Spectrum.rmsDbfs(s, i, i + window) >= steady - 3) fullEnd = i + window;
    }
    return (span.end() - fullEnd) * 1000L / RATE;
  }

  /** The first 20 ms of a span relative to its level 200-700 ms in, dB. */
  static double onsetDb(short[] s, Span span) {
    return Spectrum.rmsDbfs(s, span.start(), span.start() + RATE / 50)
        - Spectrum.rmsDbfs(
            s, span.start() + RATE / 5, Math.min(span.end(), span.start() + RATE * 7 / 10));
  }

  /**
   * The listener's loud runs (one per sound, by wall clock), checked against the spans found in the
   * recording.
   */
  static List<TestPeer.LoudRun> runs(TestPeer.Recording r, List<Span> spans) {
    assertThat(r.loudRuns()).as("sounds the listener received, by wall clock").hasSameSizeAs(spans);
    return r.loudRuns();
  }

  /** Levels of consecutive 10 ms windows from {@code from}, for the log. */
  static String envelope(short[] s, int from, int windows) {
    StringJoiner j = new StringJoiner(" ");
    for (int w = 0; w < windows; w++) {
      int a = from + w * RATE / 100;
      j.add(String.format("%.1f", Spectrum.rmsDbfs(s, a, Math.min(s.length, a + RATE / 100))));
    }
    return j.toString();
  }

  /**
   * Three fresh tracks (three sessions in one room, each publishing on its first play) heard by a
   * listener that is in the room: whether a listener misses a fresh track's first packets is a
   * race, so one track alone may start cleanly by luck.
   */
  @Test
  @Order(4)
  void aFreshTracksFirstPlayStartsAtTheFilesLevel() throws Exception {
    String room = "cadence-fresh";
    try (TestPeer peer = h.livekit.joinPeer(room, "listener")) {
      List<Double> first20s = new ArrayList<>();
      for (int k = 0; k < 3; k++) {
        String user = "fresh-" + k;
        Path recording = TestEnvironment.outputDir("bridge").resolve("cadence-fresh-" + k + ".wav");
        assertThat(h.join(user, room, "").getSuccess()).isTrue();
        try {
          peer.record("cloud-agent:" + user, recording, RATE);
          PlaybackTest.Events play = play(user, "first", files.url("/tone.wav"), 2, false);
          assertThat(play.terminal(Duration.ofSeconds(15)).getType())
              .isEqualTo(EventType.COMPLETED);
          Thread.sleep(400);
          TestPeer.Recording heard = peer.stopRecording();
          short[] s = heard.read().mono();
          List<Span> spans = spans(s, 300);
          assertThat(spans).as("the listener heard the play").isNotEmpty();
          Span first = spans.get(0);
          double first20 = Spectrum.rmsDbfs(s, first.start(), first.start() + RATE / 50);
          first20s.add(first20);
          int full = first.start();
          while (full + RATE / 100 <= s.length
              && Spectrum.rmsDbfs(s, full, full + RATE / 100) < FILE_DBFS - 1) full += RATE / 1000;
          System.out.printf(
              "fresh track %d: file %.1f dBFS; first 20 ms at the listener %.1f dBFS (%+.1f dB); within 1 dB after %d ms;"
                  + " heard for %.0f ms; STARTED %d ms after the call; 10 ms levels from the onset: %s%n",
              k,
              FILE_DBFS,
              first20,
              first20 - FILE_DBFS,
              (full - first.start()) * 1000 / RATE,
              first.ms(),
              play.startedAfterMs(),
              envelope(s, first.start(), 15));
        } finally {
          h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId(user).build());
        }
      }
      assertThat(first20s)
          .as("first 20 ms of each fresh track, dBFS (the file: %.1f)", FILE_DBFS)
          .allMatch(level -> Math.abs(level - FILE_DBFS) <= 3);
    }
  }

  @Test
  @Order(3)
  void successivePlaysStartPromptlyEndCleanAndStopQuickly() throws Exception {
    String room = "cadence-plays";
    String user = "plays";
    Path recording = TestEnvironment.outputDir("bridge").resolve("cadence-plays.wav");
    try (TestPeer peer = h.livekit.joinPeer(room, "listener")) {
      assertThat(h.join(user, room, "").getSuccess()).isTrue();
      peer.record("cloud-agent:" + user, recording, RATE);
      // The track is published by a first play; the listener stays subscribed from then on.
      assertThat(
              play(user, "warm-up", files.url("/tone.wav"), 0, false)
                  .terminal(Duration.ofSeconds(15))
                  .getType())
          .isEqualTo(EventType.COMPLETED);
      List<Long> startedAt = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        Thread.sleep(1_500);
        PlaybackTest.Events play = play(user, "play-" + i, files.url("/tone.wav"), 0, false);
        PlayAudioEvent end = play.terminal(Duration.ofSeconds(15));
        assertThat(end.getType()).isEqualTo(EventType.COMPLETED);
        assertThat(play.events.get(0).getType()).isEqualTo(EventType.STARTED);
        startedAt.add(PlaybackTest.wallClockOf(play, 0));
      }
      Thread.sleep(1_500);
      PlaybackTest.Events last = play(user, "stopped", files.url("/long.wav"), 0, false);
      Poll.until(() -> last.startedAfterMs() >= 0, Duration.ofSeconds(5), "STARTED");
      Thread.sleep(1_000);
      long stopAt = System.currentTimeMillis();
      assertThat(
              h.stub()
                  .stopAudio(StopAudioRequest.newBuilder().setUserId(user).setTrackId(0).build())
                  .getSuccess())
          .isTrue();
      last.terminal(Duration.ofSeconds(5));
      Thread.sleep(1_000);
      TestPeer.Recording heard = peer.stopRecording();

      short[] s = heard.read().mono();
      List<Span> spans = spans(s, 300);
      assertThat(spans).as("warm-up, six plays and the stopped one").hasSize(8);
      List<TestPeer.LoudRun> runs = runs(heard, spans);
      List<Long> startToSound = new ArrayList<>();
      List<Long> excess = new ArrayList<>();
      List<Long> tails = new ArrayList<>();
      List<String> onsets = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        Span span = spans.get(i + 1);
        onsets.add(String.format("%+.1f", onsetDb(s, span)));
        startToSound.add(runs.get(i + 1).startAtMs() - startedAt.get(i));
        excess.add(Math.round(span.ms() - 2_000));
        tails.add(fadingTailMs(s, span));
      }
      long stopToSilence = runs.get(7).endAtMs() - stopAt;
      System.out.printf(
          "successive plays: STARTED -> first sound at the listener %s ms; -40 dBFS span minus the file's 2000 ms %s ms,"
              + " of which a fading tail %s ms; StopAudio -> last loud frame %d ms; first 20 ms vs steady level %s dB%n",
          startToSound, excess, tails, stopToSilence, onsets);
      // Issue 9's figures. Measured here: STARTED -> sound 59-90 ms (a quiet machine and at load
      // 4-5 alike), span minus file -35..0 ms with a 5-10 ms fade, StopAudio -> silence 50-81 ms.
      // Before the fix: 470-910 ms for every play after a pause, a 135-140 ms concealment tail and
      // 0.55-1 s to stop.
      assertThat(startToSound).as("STARTED -> first sound, ms").allMatch(ms -> ms <= 100);
      assertThat(excess).as("-40 dBFS span minus the file's length, ms").allMatch(ms -> ms <= 40);
      assertThat(tails).as("fading tail after each sound, ms").allMatch(ms -> ms <= 40);
      assertThat(stopToSilence).as("StopAudio -> silence, ms").isLessThanOrEqualTo(150);
    } finally {
      h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId(user).build());
    }
  }

  /**
   * The client streams 1 s of tone (100 ms chunks, twice as fast as real time, as a TTS backend
   * does) and then nothing for 2 s, so the track idles 1.5 s between bursts (NetEq remembers 2 s of
   * arrivals: shorter stalls are what grew the jitter buffer). Burst 0 publishes the track and is
   * the listener's first utterance; bursts 1-4 are compared with each other and with the same
   * pattern from rtc-node's AudioSource to the same listener.
   */
  @Test
  @Order(2)
  void uplinkTalkSpurtsKeepTheirLatencyLikeRtcNodesAudioSource() throws Exception {
    String room = "cadence-spurts";
    String user = "spurts";
    int bursts = 5;
    int leadMs = 2_000;
    int periodMs = 2_500;
    Path control = TestEnvironment.outputDir("bridge").resolve("cadence-control.wav");
    Path bridgeHeard = TestEnvironment.outputDir("bridge").resolve("cadence-uplink.wav");
    Path pattern = TestEnvironment.outputDir("bridge").resolve("cadence-pattern.wav");
    short[][] parts = new short[1 + 2 * bursts][];
    parts[0] = Tones.silence(16_000, leadMs);
    for (int k = 0; k < bursts; k++) {
      parts[1 + 2 * k] = Tones.sine(440, 16_000, 8_000, 1_000);
      parts[2 + 2 * k] = Tones.silence(16_000, periodMs - 1_000);
    }
    Wav.write(pattern, Tones.concat(parts), 16_000, 1);
    try (TestPeer listener = h.livekit.joinPeer(room, "listener");
        TestPeer source = h.livekit.joinPeer(room, "control")) {
      assertThat(h.join(user, room, "").getSuccess()).isTrue();
      BridgeHarness.AudioStream stream = h.openStream(user);

      listener.record("cloud-agent:" + user, bridgeHeard, RATE);
      List<Long> sentAt = new ArrayList<>();
      long patternStart = System.nanoTime();
      for (int k = 0; k < bursts; k++) {
        long start = patternStart + k * periodMs * 1_000_000L;
        sleepUntil(start);
        sentAt.add(System.currentTimeMillis());
        for (int c = 0; c < 10; c++) {
          stream.send(Tones.toBytes(Tones.sine(440, 16_000, 8_000, c * 1_600L, 1_600)), 16_000, 1);
          sleepUntil(start + (c + 1) * 50_000_000L);
        }
      }
      sleepUntil(patternStart + bursts * periodMs * 1_000_000L);
      TestPeer.Recording bridgeRec = listener.stopRecording();
      short[] bridgeSamples = bridgeRec.read().mono();
      List<Span> bridgeSpans = spans(bridgeSamples, 300);
      assertThat(bridgeSpans).as("uplink bursts").hasSize(bursts);
      List<Double> bridgeLatency = new ArrayList<>();
      List<TestPeer.LoudRun> bridgeRuns = runs(bridgeRec, bridgeSpans);
      for (int k = 0; k < bursts; k++)
        bridgeLatency.add((double) (bridgeRuns.get(k).startAtMs() - sentAt.get(k)));

      // Control: the same pattern from rtc-node's AudioSource, to the same listener.
      listener.record("control", control, RATE);
      String sid = source.publishWav(pattern, "control-spurts");
      long feedAt = System.currentTimeMillis();
      source.awaitPublishDone(sid, Duration.ofSeconds(30));
      TestPeer.Recording controlRec = listener.stopRecording();
      short[] controlSamples = controlRec.read().mono();
      List<Span> controlSpans = spans(controlSamples, 300);
      assertThat(controlSpans).as("control bursts").hasSize(bursts);
      List<TestPeer.LoudRun> controlRuns = runs(controlRec, controlSpans);
      List<Double> controlLatency = new ArrayList<>();
      for (int k = 0; k < bursts; k++) {
        controlLatency.add(
            (double) (controlRuns.get(k).startAtMs() - (feedAt + leadMs + (long) periodMs * k)));
      }

      StringJoiner table = new StringJoiner("; ");
      for (int k = 0; k < bursts; k++) {
        table.add(
            String.format(
                "burst %d: bridge %.0f ms (%+.0f), control %.0f ms (%+.0f); span bridge %.0f ms, control %.0f ms;"
                    + " first 20 ms bridge %+.1f dB, control %+.1f dB",
                k,
                bridgeLatency.get(k),
                bridgeLatency.get(k) - bridgeLatency.get(1),
                controlLatency.get(k),
                controlLatency.get(k) - controlLatency.get(1),
                bridgeSpans.get(k).ms(),
                controlSpans.get(k).ms(),
                onsetDb(bridgeSamples, bridgeSpans.get(k)),
                onsetDb(controlSamples, controlSpans.get(k))));
      }
      System.out.println(
          "uplink talk spurts, onset latency at the listener (burst 0 publishes the track): "
              + table);
      // Issue 9: each burst within 60 ms of burst 1 and of the control. Measured here, warm: +0 of
      // burst 1 and 23-40 ms behind the control (30 ms of it the DTX pre-roll that buys a clean
      // onset), on a quiet machine and at load 4-5; before the fix: +740..+815 ms.
      for (int k = 1; k < bursts; k++) {
        assertThat(Math.abs(bridgeLatency.get(k) - bridgeLatency.get(1)))
            .as("burst %d latency vs burst 1's", k)
            .isLessThanOrEqualTo(60);
        assertThat(bridgeLatency.get(k) - controlLatency.get(k))
            .as("burst %d latency minus the control's", k)
            .isLessThanOrEqualTo(60);
      }
      stream.finish();
    } finally {
      h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId(user).build());
    }
  }

  /**
   * A client that streams continuously from its first chunk (silence between utterances, as a live
   * microphone or a TTS stream does) starts with a backlog: audio queued while the track is
   * published and while it waits for its first listener. At real-time pace that backlog never
   * drains by itself; the bridge drops quiet frames while it is above its target, so later
   * utterances are heard with the latency of a talker who paused. Before: every burst 1.2-1.3 s
   * late here (the second sent ahead plus the publish); 0.7 s in the load tool without a head
   * start.
   */
  @Test
  @Order(1)
  void aContinuousUplinkStreamCatchesUpInItsQuietFrames() throws Exception {
    String room = "cadence-continuous";
    String user = "continuous";
    int bursts = 4;
    int leadMs = 1_500;
    int periodMs = 2_000;
    Path heard = TestEnvironment.outputDir("bridge").resolve("cadence-continuous.wav");
    try (TestPeer listener =
        TestPeer.join("listener", h.livekit.wsUrl(), h.livekit.token(room, "listener"))) {
      assertThat(h.join(user, room, "").getSuccess()).isTrue();
      BridgeHarness.AudioStream stream = h.openStream(user);
      listener.record("cloud-agent:" + user, heard, RATE);
      List<Long> sentAt = new ArrayList<>();
      byte[] quiet = Tones.toBytes(Tones.silence(16_000, 50));
      // The client starts a second ahead of real time (a TTS stream's first buffer): without a
      // catch-up that second, plus the track's publish time, is lag for as long as it streams.
      for (int c = 0; c < 20; c++) stream.send(quiet, 16_000, 1);
      long start = System.nanoTime();
      int chunks = (leadMs + bursts * periodMs) / 50;
      for (int c = 0; c < chunks; c++) {
        int atMs = c * 50;
        int inPeriod = atMs - leadMs;
        boolean loud = inPeriod >= 0 && inPeriod % periodMs < 1_000;
        if (loud && inPeriod % periodMs == 0) sentAt.add(System.currentTimeMillis());
        stream.send(
            loud
                ? Tones.toBytes(Tones.sine(440, 16_000, 8_000, (inPeriod % periodMs) * 16L, 800))
                : quiet,
            16_000,
            1);
        sleepUntil(start + (c + 1) * 50_000_000L);
      }
      sleepUntil(start + (leadMs + bursts * periodMs + 500) * 1_000_000L);
      TestPeer.Recording rec = listener.stopRecording();
      List<Span> heardSpans = spans(rec.read().mono(), 300);
      assertThat(heardSpans).as("bursts heard").hasSize(bursts);
      List<TestPeer.LoudRun> heardRuns = runs(rec, heardSpans);
      StringJoiner table = new StringJoiner("; ");
      List<Long> latency = new ArrayList<>();
      for (int k = 0; k < bursts; k++) {
        latency.add(heardRuns.get(k).startAtMs() - sentAt.get(k));
        table.add(
            String.format(
                "burst %d: %d ms, %.0f ms long", k, latency.get(k), heardSpans.get(k).ms()));
      }
      System.out.println("continuous uplink stream, onset latency at the listener: " + table);
      for (int k = 1; k < bursts; k++) {
        // Quiet machine: 90-160 ms (60 ms prebuffer, up to 80 ms backlog target, the network and
        // the listener's jitter buffer); 364 ms seen at load 10. Before the catch-up: 1.39-1.44 s
        // for every burst.
        assertThat(latency.get(k)).as("burst %d onset latency, ms", k).isLessThanOrEqualTo(600);
        assertThat(heardSpans.get(k).ms()).as("burst %d is heard whole", k).isGreaterThan(900);
      }
      stream.finish();
    } finally {
      h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId(user).build());
    }
  }
}
