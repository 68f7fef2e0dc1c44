package com.mentra.livekit.rtc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A subscription keeps delivering after its listener or its own conversion failed once. */
class RemoteAudioReceiverTest {
  private final ExecutorService workers = Executors.newFixedThreadPool(2);

  @AfterEach
  void stop() throws InterruptedException {
    workers.shutdownNow();
    assertThat(workers.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aListenerThatThrowsLosesOnlyItsFrame() throws Exception {
    LinkedBlockingQueue<AudioFrame> heard = new LinkedBlockingQueue<>();
    AtomicInteger calls = new AtomicInteger();
    RemoteAudioReceiver receiver =
        receiver(
            frame -> {
              if (calls.incrementAndGet() == 1) throw new IllegalStateException("listener bug");
              heard.add(frame);
            });

    feed(receiver, 3);

    for (int i = 0; i < 2; i++) assertThat(heard.poll(5, TimeUnit.SECONDS)).isNotNull();
    assertThat(receiver.deliveredFrames()).isEqualTo(3);
  }

  @Test
  void anErrorInDeliveryDoesNotStopLaterFrames() throws Exception {
    // An Error escapes every catch on the way: before, the drain stayed marked as scheduled and
    // no later frame was ever delivered.
    LinkedBlockingQueue<AudioFrame> heard = new LinkedBlockingQueue<>();
    AtomicInteger calls = new AtomicInteger();
    RemoteAudioReceiver receiver =
        receiver(
            frame -> {
              if (calls.incrementAndGet() == 1) throw new StackOverflowError("simulated");
              heard.add(frame);
            });

    feed(receiver, 1);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (calls.get() == 0 && System.nanoTime() < deadline) Thread.sleep(5);
    assertThat(calls.get()).isEqualTo(1);

    feed(receiver, 2);
    for (int i = 0; i < 2; i++) assertThat(heard.poll(5, TimeUnit.SECONDS)).isNotNull();
    assertThat(heard.poll(200, TimeUnit.MILLISECONDS)).as("the failed frame again").isNull();
    receiver.close();
  }

  private RemoteAudioReceiver receiver(AudioFrameListener listener) {
    return new RemoteAudioReceiver("phone", 16_000, 1, 100, listener, workers, r -> {});
  }

  /** {@code frames} 10 ms frames of 16 kHz mono, as libwebrtc's playout thread hands them over. */
  private static void feed(RemoteAudioReceiver receiver, int frames) {
    for (int i = 0; i < frames; i++) receiver.sink().onData(new byte[320], 16, 16_000, 1, 160);
  }
}
