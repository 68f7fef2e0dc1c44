package com.mentra.bridge.audio.playback;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.bridge.audio.fetch.FetchPolicy;
import com.mentra.bridge.dsp.AudioClock;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * 20 simultaneous playbacks of a 10-minute file stream: heap stays flat (no whole-file buffering).
 */
class StreamingMemoryTest {
  private static final int MINUTES = 10;
  private static final int RATE = 16_000;

  @Test
  void twentyTenMinutePlaybacksKeepHeapGrowthUnder10MB() throws Exception {
    ToneWavServer http = ToneWavServer.start(MINUTES * 60, RATE);
    PlaybackConfig config =
        PlaybackConfig.defaults()
            .withFetch(
                FetchPolicy.defaults().withAllowPrivateAddresses(true).withMaxBytes(100L << 20));
    URI uri = http.uri();
    AtomicLong frames = new AtomicLong();
    List<Player> players = new ArrayList<>();
    try (AudioClock clock = new AudioClock();
        PlaybackEngine engine = new PlaybackEngine(config, clock)) {
      System.gc();
      Thread.sleep(200);
      long before = usedHeap();
      for (int i = 0; i < 20; i++) {
        Player player =
            engine.newPlayer(
                trackId ->
                    new PcmOutput() {
                      @Override
                      public void write(short[] frame) {
                        frames.incrementAndGet();
                      }

                      @Override
                      public void close() {}
                    });
        players.add(player);
        player.play(
            new PlayRequest("r" + i, uri, 1, 0, false),
            new PlaybackListener() {
              @Override
              public void onStarted(long durationMs) {}

              @Override
              public void onProgress(long positionMs, long durationMs) {}

              @Override
              public void onCompleted(long durationMs, StopReason reason) {}

              @Override
              public void onFailed(PlaybackError error, long positionMs) {
                throw new AssertionError(error.message());
              }
            });
      }
      Thread.sleep(5_000);
      long after = Long.MAX_VALUE;
      for (int i = 0; i < 3; i++) { // the lowest of a few collections: what is really retained
        System.gc();
        Thread.sleep(100);
        after = Math.min(after, usedHeap());
      }
      System.out.printf(
          "20 playbacks of a %d-minute file (%d MB each): heap %d KB -> %d KB (+%d KB) after 5 s; %d frames played%n",
          MINUTES,
          http.dataBytes() >> 20,
          before >> 10,
          after >> 10,
          (after - before) >> 10,
          frames.get());
      assertThat(frames.get()).as("every playback played at least 1 s").isGreaterThan(20 * 100L);
      assertThat(after - before).isLessThan(10L << 20);
      players.forEach(Player::close);
    } finally {
      http.close();
    }
  }

  private static long usedHeap() {
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }
}
