package com.mentra.bridge.audio.playback;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.bridge.audio.fetch.FetchPolicy;
import com.mentra.bridge.dsp.AudioClock;
import com.mentra.testing.Poll;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link PlaybackHandle#cancel()}: ends its own playback only, and the output goes quiet. */
class PlayerCancelTest {
  private static final int RATE = 16_000;
  private static final int SECONDS = 30;

  private ToneWavServer http;
  private AudioClock clock;
  private PlaybackEngine engine;
  private Player player;
  private final AtomicLong frames = new AtomicLong();

  @BeforeEach
  void start() throws IOException {
    http = ToneWavServer.start(SECONDS, RATE);
    PlaybackConfig config =
        PlaybackConfig.defaults().withFetch(FetchPolicy.defaults().withAllowPrivateAddresses(true));
    clock = new AudioClock();
    engine = new PlaybackEngine(config, clock);
    player =
        engine.newPlayer(
            trackId ->
                new PcmOutput() {
                  @Override
                  public void write(short[] frame) {
                    // The output gets a frame every tick; count the audible ones.
                    for (short v : frame) {
                      if (Math.abs(v) > 300) {
                        frames.incrementAndGet();
                        return;
                      }
                    }
                  }

                  @Override
                  public void close() {}
                });
  }

  @AfterEach
  void stop() {
    player.close();
    engine.close();
    clock.close();
    http.close();
  }

  @Test
  void cancelEndsThePlaybackWithCancelledAndSilencesTheOutput() throws Exception {
    Ending ending = new Ending();
    PlaybackHandle handle = player.play(request("a", 0), ending);
    ending.started.get(5, TimeUnit.SECONDS);
    Poll.until(() -> frames.get() >= 10, Duration.ofSeconds(5), "the tone audible at the output");

    assertThat(handle.cancel()).isTrue();
    assertThat(ending.completed.get(2, TimeUnit.SECONDS)).isEqualTo(StopReason.CANCELLED);
    assertThat(handle.cancel()).as("idempotent").isFalse();
    assertThat(outputGoesQuiet()).isTrue();
  }

  @Test
  void aReplacedPlaybacksHandleDoesNotStopTheNewerOne() throws Exception {
    Ending first = new Ending();
    Ending second = new Ending();
    PlaybackHandle old = player.play(request("a", 0), first);
    first.started.get(5, TimeUnit.SECONDS);
    PlaybackHandle newer = player.play(request("b", 0), second);
    second.started.get(5, TimeUnit.SECONDS);
    assertThat(first.completed.get(2, TimeUnit.SECONDS)).isEqualTo(StopReason.REPLACED);

    assertThat(old.cancel()).isFalse();
    long before = frames.get();
    Thread.sleep(500);
    assertThat(frames.get() - before).as("the newer playback keeps playing").isGreaterThan(30);
    assertThat(second.completed).isNotDone();

    assertThat(newer.cancel()).isTrue();
    assertThat(second.completed.get(2, TimeUnit.SECONDS)).isEqualTo(StopReason.CANCELLED);
  }

  private boolean outputGoesQuiet() throws InterruptedException {
    Thread.sleep(100); // the fade-out frame
    long quietFrom = frames.get();
    Thread.sleep(500);
    return frames.get() == quietFrom;
  }

  private PlayRequest request(String id, int trackId) {
    return new PlayRequest(id, http.uri(), 1, trackId, false);
  }

  /** The listener's STARTED and terminal event as futures. */
  private static final class Ending implements PlaybackListener {
    final CompletableFuture<Void> started = new CompletableFuture<>();
    final CompletableFuture<StopReason> completed = new CompletableFuture<>();

    @Override
    public void onStarted(long durationMs) {
      started.complete(null);
    }

    @Override
    public void onProgress(long positionMs, long durationMs) {}

    @Override
    public void onCompleted(long durationMs, StopReason reason) {
      completed.complete(reason);
    }

    @Override
    public void onFailed(PlaybackError error, long positionMs) {
      completed.completeExceptionally(new AssertionError(error.message()));
    }
  }
}
