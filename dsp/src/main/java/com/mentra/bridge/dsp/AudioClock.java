package com.mentra.bridge.dsp;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One 10 ms tick for the whole process: every paced audio stream (uplink PCM, playback) is driven
 * from this single platform thread instead of a timer per stream.
 *
 * <p>Ticks follow an absolute schedule so they do not drift; after a stall (GC, a busy machine) the
 * clock delivers the missed ticks back to back, up to {@link #MAX_CATCH_UP_TICKS} (500 ms), and
 * skips ahead only beyond that. Catching up keeps every published track's RTP timestamps on the
 * wall clock: a skipped tick is 10 ms missing from a track's timeline for good, which a listener's
 * jitter buffer takes for a late packet and answers with a higher delay. Listeners must not block;
 * one that throws is logged and keeps its registration. Thread-safe; {@link #close()} is
 * idempotent.
 */
public final class AudioClock implements AutoCloseable {
  public static final long TICK_NANOS = 10_000_000L;
  static final int MAX_CATCH_UP_TICKS = 50;
  private static final Logger log = LoggerFactory.getLogger(AudioClock.class);

  /** Called every 10 ms on the clock thread. */
  @FunctionalInterface
  public interface TickListener {
    void onTick(long tick);
  }

  /** Removes its listener when closed; idempotent. */
  public interface Registration extends AutoCloseable {
    @Override
    void close();
  }

  private final CopyOnWriteArrayList<TickListener> listeners = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile long ticks;
  private volatile long skippedTicks;
  private long listenerFailures;
  private volatile java.util.function.LongConsumer lateness = nanos -> {};

  public AudioClock() {
    thread =
        Thread.ofPlatform()
            .daemon()
            .name("audio-clock")
            .priority(Thread.MAX_PRIORITY)
            .start(this::run);
  }

  public Registration register(TickListener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** Told, on the clock thread, how late each tick started (nanoseconds); must be cheap. */
  public void observeLateness(java.util.function.LongConsumer observer) {
    lateness = observer;
  }

  public int listenerCount() {
    return listeners.size();
  }

  /** Ticks delivered so far. */
  public long ticks() {
    return ticks;
  }

  /** Ticks dropped because the clock thread was stalled for longer than the catch-up bound. */
  public long skippedTicks() {
    return skippedTicks;
  }

  private void run() {
    long next = System.nanoTime() + TICK_NANOS;
    long tick = 0;
    while (running) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
        continue;
      }
      try {
        lateness.accept(-wait);
      } catch (RuntimeException e) {
        log.warn("audio clock lateness observer failed", e);
      }
      long behind = -wait / TICK_NANOS;
      if (behind > MAX_CATCH_UP_TICKS) {
        skippedTicks += behind;
        next += behind * TICK_NANOS;
        // Tick numbers follow the wall clock across the skip, so a listener can tell how much
        // time it missed (a real-time buffer drops that much instead of lagging by it for good).
        tick += behind;
      }
      for (TickListener listener : listeners) {
        try {
          listener.onTick(tick);
        } catch (RuntimeException | Error e) {
          // Even an Error: this one thread paces every session's audio, so it must outlive any
          // single listener's failure. Rate-limited: one failing every tick must not flood the log.
          if (listenerFailures++ % 1000 == 0)
            log.warn("audio clock listener failed ({} failures so far)", listenerFailures, e);
        }
      }
      tick++;
      ticks = tick;
      next += TICK_NANOS;
    }
  }

  @Override
  public void close() {
    running = false;
    LockSupport.unpark(thread);
    try {
      thread.join(TimeUnit.SECONDS.toMillis(1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
