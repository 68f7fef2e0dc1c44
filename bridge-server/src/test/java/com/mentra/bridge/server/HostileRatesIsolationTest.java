package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.mentra.bridge.api.LeaveRoomRequest;
import com.mentra.bridge.api.PlayAudioRequest;
import com.mentra.testing.Spectrum;
import com.mentra.testing.TestEnvironment;
import com.mentra.testing.TestPeer;
import com.mentra.testing.Tones;
import com.mentra.testing.Wav;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One caller with odd rates must not stall everyone's audio (issue 11): while 5 healthy sessions
 * stream a tone up and listeners record two of them, another session sends chunks at 8,001 Hz and
 * 44,101 Hz and plays a WAV declaring 383,999 Hz. Before, building the resampler for such a rate
 * took ~450 ms inside a lock the shared clock takes (all five tracks went silent at once) and the
 * 383,999 Hz WAV grew the heap by ~190 MiB.
 */
class HostileRatesIsolationTest {
  @Test
  void oddRatesOfOneSessionLeaveTheOthersUninterruptedAndMemoryFlat() throws Exception {
    try (BridgeHarness h = new BridgeHarness();
        AudioFileServer files = new AudioFileServer()) {
      files.serve("/odd-rate.wav", "audio/wav", wavDeclaring(383_999, 3));
      String room = "isolation";
      List<BridgeHarness.AudioStream> healthy = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        assertThat(h.join("healthy-" + i, room + "-" + i, "").getSuccess()).isTrue();
        healthy.add(h.openStream("healthy-" + i));
      }
      assertThat(h.join("odd", "odd-room", "").getSuccess()).isTrue();
      BridgeHarness.AudioStream odd = h.openStream("odd");
      TestPeer listener0 = h.livekit.joinPeer(room + "-0", "listener0");
      TestPeer listener1 = h.livekit.joinPeer(room + "-1", "listener1");
      try {
        Path rec0 = TestEnvironment.outputDir("bridge").resolve("isolation-0.wav");
        Path rec1 = TestEnvironment.outputDir("bridge").resolve("isolation-1.wav");
        listener0.record("cloud-agent:healthy-0", rec0, 48_000);
        listener1.record("cloud-agent:healthy-1", rec1, 48_000);
        long rssBefore = 0;
        long start = System.nanoTime();
        for (int chunk = 0; chunk < 60; chunk++) { // 6 s of 100 ms chunks, paced in real time
          for (BridgeHarness.AudioStream s : healthy)
            s.send(Tones.toBytes(Tones.sine(440, 16_000, 8_000, chunk * 1600L, 1600)), 16_000, 1);
          if (chunk == 9) {
            // The healthy sessions have run 1 s (tracks published, buffers and JIT warm): the
            // baseline.
            System.gc();
            rssBefore = rssBytes();
          }
          if (chunk == 10) odd.send(Tones.toBytes(Tones.sine(440, 8_001, 8_000, 800)), 8_001, 1);
          if (chunk == 15) odd.send(Tones.toBytes(Tones.sine(440, 44_101, 8_000, 4410)), 44_101, 1);
          if (chunk == 20) {
            h.async.playAudio(
                PlayAudioRequest.newBuilder()
                    .setUserId("odd")
                    .setRequestId("odd-wav")
                    .setAudioUrl(files.url("/odd-rate.wav"))
                    .build(),
                new PlaybackTest.Events());
          }
          if (chunk == 25) odd.send(Tones.toBytes(Tones.sine(440, 8_003, 8_000, 800)), 8_003, 1);
          // 300 ms ahead of real time: the jitter buffer absorbs this test thread's own scheduling
          // hiccups on a loaded machine, so a gap can only come from the bridge.
          long wait = start + (chunk - 2) * 100_000_000L - System.nanoTime();
          if (wait > 0) Thread.sleep(wait / 1_000_000);
        }
        Thread.sleep(600);
        System.gc();
        long rssGrowth = rssBytes() - rssBefore;
        for (TestPeer.Recording r : List.of(listener0.stopRecording(), listener1.stopRecording())) {
          Wav.Audio audio = Wav.read(r.path());
          int first = Spectrum.firstSoundIndex(audio.samples(), audio.sampleRate(), -40);
          assertThat(first).as("the listener heard the healthy session").isGreaterThanOrEqualTo(0);
          short[] steady =
              Spectrum.slice(
                  audio.samples(),
                  first + audio.sampleRate() / 2,
                  first + audio.sampleRate() * 55 / 10);
          double gap = Spectrum.longestGapMs(steady, audio.sampleRate(), -40);
          double hz = Spectrum.dominantFrequency(steady, audio.sampleRate());
          System.out.printf(
              "healthy track %s while another session used 8,001/44,101/8,003 Hz and a 383,999 Hz WAV: %.2f Hz, longest gap %.0f ms%n",
              r.identity(), hz, gap);
          assertThat(hz).isCloseTo(440, within(2.0));
          assertThat(gap).as("longest gap, ms").isLessThanOrEqualTo(20);
        }
        System.out.printf("RSS growth during the odd-rate session: %.1f MB%n", rssGrowth / 1e6);
        assertThat(rssGrowth).as("RSS growth, bytes").isLessThan(20_000_000);
      } finally {
        listener0.close();
        listener1.close();
      }
      for (int i = 0; i < 5; i++)
        h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId("healthy-" + i).build());
      h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId("odd").build());
    }
  }

  /**
   * A mono PCM16 WAV whose header declares {@code rate} Hz, with {@code seconds} of tone at that
   * rate's sample count (capped).
   */
  static byte[] wavDeclaring(int rate, int seconds) {
    int frames = Math.min(rate * seconds, 2_000_000);
    ByteBuffer b = ByteBuffer.allocate(44 + frames * 2).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes())
        .putInt(36 + frames * 2)
        .put("WAVE".getBytes())
        .put("fmt ".getBytes())
        .putInt(16)
        .putShort((short) 1)
        .putShort((short) 1)
        .putInt(rate)
        .putInt(rate * 2)
        .putShort((short) 2)
        .putShort((short) 16)
        .put("data".getBytes())
        .putInt(frames * 2);
    for (int i = 0; i < frames; i++)
      b.putShort((short) (6000 * Math.sin(2 * Math.PI * 440 * i / rate)));
    return b.array();
  }

  private static long rssBytes() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    }
    throw new IllegalStateException("no VmRSS");
  }
}
