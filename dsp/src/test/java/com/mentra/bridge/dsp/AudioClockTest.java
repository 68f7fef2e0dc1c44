package com.mentra.bridge.dsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AudioClockTest {
  @Test
  void ticksEvery10msWithoutDriftAndSurvivesAThrowingListener() throws Exception {
    try (AudioClock clock = new AudioClock()) {
      AtomicLong count = new AtomicLong();
      clock.register(
          t -> {
            throw new IllegalStateException("boom");
          });
      AudioClock.Registration r = clock.register(t -> count.incrementAndGet());
      long start = System.nanoTime();
      Thread.sleep(1_000);
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      long ticks = count.get();
      System.out.printf("%d ticks in %d ms%n", ticks, elapsedMs);
      // Generous below (a loaded 2-core machine can hold the clock thread back for a while); never
      // more ticks than time allows.
      assertThat(ticks).isBetween(elapsedMs / 10 - 25, elapsedMs / 10 + 2);
      r.close();
      long after = count.get();
      Thread.sleep(100);
      assertThat(count.get()).isEqualTo(after);
      assertThat(clock.listenerCount()).isEqualTo(1);
    }
  }

  @Test
  void aListenerThrowingAnErrorDoesNotStopTheClock() throws Exception {
    // The one clock thread paces every session: an Error (a stack overflow, an out-of-memory in
    // one listener's frame) used to end it, and with it all audio.
    try (AudioClock clock = new AudioClock()) {
      AtomicLong count = new AtomicLong();
      clock.register(
          t -> {
            if (t < 3) throw new StackOverflowError("simulated");
          });
      clock.register(t -> count.incrementAndGet());
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (count.get() < 20 && System.nanoTime() < deadline) Thread.sleep(10);
      assertThat(count.get()).isGreaterThanOrEqualTo(20);
    }
  }
}
