package com.mentra.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waiting for a condition instead of sleeping and then asserting: the probe runs every 20 ms, so a
 * test waits no longer than the system takes, and a slow machine gets the whole timeout instead of
 * a guessed sleep. On timeout it fails with an {@link AssertionError} naming what it waited for.
 *
 * <p>Not for proving a negative ("nothing arrives within 500 ms"): that needs the time to pass, and
 * a sleep says so better. Stateless and thread-safe.
 */
public final class Poll {
  private static final long INTERVAL_MS = 20;

  private Poll() {}

  /** Waits until {@code probe} returns non-null and returns that value. */
  public static <T> T forValue(Supplier<T> probe, Duration timeout, String what) {
    return forValue(probe, timeout, () -> what);
  }

  /**
   * As {@link #forValue(Supplier, Duration, String)}, with the description made at the timeout: it
   * can then say what was seen by the end of the wait, not before it.
   */
  public static <T> T forValue(Supplier<T> probe, Duration timeout, Supplier<String> what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      T value = probe.get();
      if (value != null) return value;
      if (System.nanoTime() - deadline >= 0)
        throw new AssertionError(
            "timed out after " + timeout.toMillis() + " ms waiting for " + what.get());
      sleep(INTERVAL_MS);
    }
  }

  /** Waits until {@code condition} holds. */
  public static void until(BooleanSupplier condition, Duration timeout, String what) {
    forValue(() -> condition.getAsBoolean() ? Boolean.TRUE : null, timeout, what);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while polling", e);
    }
  }
}
