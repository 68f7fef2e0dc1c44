package com.mentra.bridge.core;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs submitted tasks one at a time, in submission order, on a shared backing executor, so the
 * state an object confines to it needs no locks and no object owns a thread. The project's one
 * serial queue (rooms, room callbacks, playback events, remote audio delivery).
 *
 * <p>Bounded: {@link #execute} beyond {@code capacity} pending tasks throws {@link
 * RejectedExecutionException}; {@link #offer} returns false instead, for callers on foreign threads
 * (libwebrtc, WebSocket) that must never throw. A task that throws is logged and the queue goes on.
 * Survives its backing executor: when the backing pool rejects (saturated, shut down), the queue
 * drains on a fresh virtual thread instead, so it never stops running (as grpc-java's
 * SerializingExecutor recovers from rejection). Long queues yield the shared thread every {@value
 * #BATCH} tasks. Thread-safe.
 */
public final class SerializingExecutor implements Executor {
  private static final Logger log = LoggerFactory.getLogger(SerializingExecutor.class);
  private static final int BATCH = 64;
  private static final ThreadLocal<SerializingExecutor> CURRENT = new ThreadLocal<>();

  private final Executor backing;
  private final int capacity;
  private final String name;
  private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
  private final Runnable drain = this::drain;
  private boolean scheduled; // guarded by queue

  public SerializingExecutor(Executor backing, int capacity, String name) {
    if (capacity < 1) throw new IllegalArgumentException("capacity must be positive");
    this.backing = backing;
    this.capacity = capacity;
    this.name = name;
  }

  /** Queues {@code task}; throws when {@code capacity} tasks are already pending. */
  @Override
  public void execute(Runnable task) {
    if (!offer(task))
      throw new RejectedExecutionException(name + ": " + capacity + " tasks pending");
  }

  /** Queues {@code task}; false (and nothing queued) when {@code capacity} tasks are pending. */
  public boolean offer(Runnable task) {
    boolean schedule;
    synchronized (queue) {
      if (queue.size() >= capacity) return false;
      queue.add(task);
      schedule = !scheduled;
      scheduled = true;
    }
    if (schedule) schedule();
    return true;
  }

  /** True when the calling thread is running a task of this executor: a cheap confinement check. */
  public boolean isCurrent() {
    return CURRENT.get() == this;
  }

  /** Throws unless called from one of this executor's tasks (for methods confined to it). */
  public void checkCurrent() {
    if (CURRENT.get() != this)
      throw new IllegalStateException(
          name
              + ": called outside its serializing executor, on "
              + Thread.currentThread().getName());
  }

  /** Tasks waiting (for tests and metrics). */
  public int pending() {
    synchronized (queue) {
      return queue.size();
    }
  }

  private void schedule() {
    try {
      backing.execute(drain);
    } catch (RejectedExecutionException saturatedOrShutDown) {
      // Never leave `scheduled` set with nobody draining: the queue would stop for good.
      try {
        Thread.ofVirtual().name(name + "-rescue").start(drain);
      } catch (RuntimeException | OutOfMemoryError e) {
        synchronized (queue) {
          scheduled = false;
        }
        throw saturatedOrShutDown;
      }
    }
  }

  private void drain() {
    SerializingExecutor outer = CURRENT.get();
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
      if (outer == null) CURRENT.remove();
      else CURRENT.set(outer);
    }
    // Yield the shared thread to other queues, then continue.
    schedule();
  }
}
