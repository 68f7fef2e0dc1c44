package com.mentra.bridge.audio.playback;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs tasks one at a time, in order, on a shared executor; bounded. Thread-safe. */
final class SerialDispatcher implements Executor {
  private static final Logger log = LoggerFactory.getLogger(SerialDispatcher.class);
  private static final int CAPACITY = 10_000;

  private final Executor backing;
  private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
  private boolean running;

  SerialDispatcher(Executor backing) {
    this.backing = backing;
  }

  @Override
  public void execute(Runnable task) {
    synchronized (queue) {
      if (queue.size() >= CAPACITY) {
        log.warn("playback event queue full; event dropped");
        return;
      }
      queue.add(task);
      if (running) return;
      running = true;
    }
    backing.execute(this::drain);
  }

  private void drain() {
    while (true) {
      Runnable next;
      synchronized (queue) {
        next = queue.poll();
        if (next == null) {
          running = false;
          return;
        }
      }
      try {
        next.run();
      } catch (RuntimeException e) {
        log.warn("playback listener failed", e);
      }
    }
  }
}
