package com.mentra.bridge.core;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands work from a foreign thread (libwebrtc, WebSocket) to an owner's executor without ever
 * throwing into that thread. Ordinary events are dropped with a warning when the owner's queue is
 * full; events that must not be lost (a connection closed, a transport failed) are retried from a
 * virtual thread until the queue takes them, for a bounded time.
 */
public final class Handoff {
  private static final Logger log = LoggerFactory.getLogger(Handoff.class);
  private static final long PATIENCE_MS = 10_000;

  private Handoff() {}

  /** Queues {@code task}; when the executor refuses, logs and drops it. */
  public static void orDrop(Executor executor, Runnable task, String what) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      log.warn("dropped {}: its executor refused it ({})", what, e.getMessage());
    }
  }

  /** Queues {@code task}; when the executor refuses, retries every 10 ms for up to 10 s. */
  public static void persistently(Executor executor, Runnable task, String what) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException first) {
      Thread.ofVirtual()
          .name("handoff-retry")
          .start(
              () -> {
                long deadline = System.nanoTime() + PATIENCE_MS * 1_000_000;
                while (System.nanoTime() < deadline) {
                  try {
                    Thread.sleep(10);
                    executor.execute(task);
                    return;
                  } catch (RejectedExecutionException stillFull) {
                    // try again
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                  }
                }
                log.error("lost {}: its executor refused it for {} ms", what, PATIENCE_MS);
              });
    }
  }
}
