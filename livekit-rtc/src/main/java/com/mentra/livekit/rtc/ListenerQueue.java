package com.mentra.livekit.rtc;

import com.mentra.bridge.core.SerializingExecutor;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One room's listener callbacks, run one at a time and in order on a serial queue of their own: a
 * slow listener then never stalls signalling, and a listener may close the room. A callback that
 * throws is logged and the next one runs.
 *
 * <p>Thread-safe: the room queues callbacks from its executor, data packets from libwebrtc's
 * threads.
 */
final class ListenerQueue {
  private static final Logger log = LoggerFactory.getLogger(ListenerQueue.class);
  private static final int CAPACITY = 10_000;

  private final RoomListener listener;
  private final SerializingExecutor queue;

  /**
   * @param listener null for none
   */
  ListenerQueue(RoomListener listener, Executor workers) {
    this.listener = listener == null ? new RoomListener() {} : listener;
    this.queue = new SerializingExecutor(workers, CAPACITY, "room-callbacks");
  }

  /** Queues a callback; when the listener is {@value #CAPACITY} behind, drops it with a warning. */
  void emit(Consumer<RoomListener> callback) {
    try {
      queue.execute(
          () -> {
            try {
              callback.accept(listener);
            } catch (RuntimeException e) {
              log.warn("room listener threw", e);
            }
          });
    } catch (RejectedExecutionException e) {
      log.warn("room listener is {} events behind; event dropped", CAPACITY);
    }
  }

  /** Whether the caller is a listener callback (which must not wait for the room to close). */
  boolean isCurrent() {
    return queue.isCurrent();
  }

  /**
   * Completes {@code done} once the callbacks queued so far have run (at once when the queue is
   * full).
   */
  void whenDrained(CompletableFuture<Void> done) {
    try {
      queue.execute(() -> done.complete(null));
    } catch (RejectedExecutionException e) {
      done.complete(null);
    }
  }
}
