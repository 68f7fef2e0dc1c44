package com.mentra.livekit.rtc;

import com.mentra.bridge.core.SerializingExecutor;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One room's executor: a {@link SerializingExecutor} over the shared worker pool, and the shared
 * timer thread, which only hands its tasks over. Everything a room confines to it runs one task at
 * a time; the classes doing so check {@link #checkCurrent} at the entry of their methods.
 *
 * <p>Thread-safe.
 */
final class RoomExecutor {
  private static final Logger log = LoggerFactory.getLogger(RoomExecutor.class);

  private final SerializingExecutor serial;
  private final ScheduledExecutorService timers;

  RoomExecutor(SerializingExecutor serial, ScheduledExecutorService timers) {
    this.serial = serial;
    this.timers = timers;
  }

  /** The executor itself, for the transports and the signal connection to hand their events to. */
  SerializingExecutor serial() {
    return serial;
  }

  ScheduledExecutorService timers() {
    return timers;
  }

  /** Runs {@code task} on the room; a saturated room drops it with a warning. */
  void submit(Runnable task) {
    submit(task, null);
  }

  /** Runs {@code task} on the room; fails {@code onReject} (if any) when the room is saturated. */
  void submit(Runnable task, CompletableFuture<?> onReject) {
    try {
      serial.execute(task);
    } catch (RejectedExecutionException e) {
      if (onReject != null) onReject.completeExceptionally(e);
      else log.warn("room executor saturated; task dropped");
    }
  }

  /** Runs {@code task} on the room after {@code delay}. */
  ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
    return timers.schedule(() -> submit(task), delay, unit);
  }

  /** Runs {@code task} on the room every {@code period}, the first time after one period. */
  ScheduledFuture<?> every(Runnable task, long period, TimeUnit unit) {
    return timers.scheduleAtFixedRate(() -> submit(task), period, period, unit);
  }

  boolean isCurrent() {
    return serial.isCurrent();
  }

  /** Throws unless called on the room: the entry check of every method confined to it. */
  void checkCurrent() {
    serial.checkCurrent();
  }
}
