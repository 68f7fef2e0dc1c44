package com.mentra.livekit.rtc.internal;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs submitted tasks one at a time, in submission order, on a shared backing executor, so a
 * room's state needs no locks and no room owns a thread. Bounded: submitting beyond {@code
 * capacity} pending tasks throws {@link RejectedExecutionException}. Thread-safe.
 */
public final class SerialExecutor implements Executor {
  private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);
  private static final int BATCH = 64;
  private static final ThreadLocal<SerialExecutor> CURRENT = new ThreadLocal<>();

  private final Executor backing;
  private final int capacity;
  private final String name;
  private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
  private boolean scheduled;

  public SerialExecutor(Executor backing, int capacity, String name) {
    this.backing = backing;
    this.capacity = capacity;
    this.name = name;
  }

  @Override
  public void execute(Runnable task) {
    boolean schedule;
    synchronized (queue) {
      if (queue.size() >= capacity) {
        throw new RejectedExecutionException(name + ": " + capacity + " tasks pending");
      }
      queue.add(task);
      schedule = !scheduled;
      scheduled = true;
    }
    if (schedule) backing.execute(this::drain);
  }

  /** True when the calling thread is currently running a task of this executor. */
  public boolean isCurrent() {
    return CURRENT.get() == this;
  }

  private void drain() {
    CURRENT.set(this);
    try {
      for (int i = 0; i < BATCH; i++) {
        Runnable next;
        synchronized (queue) {
          next = queue.poll();
          if (next == null) {
            scheduled = false;
            return;
          }
        }
        try {
          next.run();
        } catch (Throwable t) {
          log.error("{}: task failed", name, t);
        }
      }
    } finally {
      CURRENT.remove();
    }
    // Yield the shared thread to other executors, then continue.
    backing.execute(this::drain);
  }
}
