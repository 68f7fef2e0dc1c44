package com.mentra.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The events a {@link TestPeer} received, in a bounded buffer: beyond {@code capacity} the oldest
 * are dropped (and counted), so a long test cannot exhaust memory. Waiters wake on every new event
 * and when the peer process ends.
 *
 * <p>Thread-safe: the peer's reader thread adds, any test thread reads and waits; all under the
 * buffer's monitor.
 */
final class PeerEvents {
  private final String peer;
  private final Path log;
  private final int capacity;
  private final Deque<JsonNode> events = new ArrayDeque<>();
  private long dropped;

  /** Why the peer process ended; null while it runs. */
  private volatile String ended;

  /** {@code peer} and {@code log} name the peer in error messages. */
  PeerEvents(String peer, Path log, int capacity) {
    this.peer = peer;
    this.log = log;
    this.capacity = capacity;
  }

  void add(JsonNode event) {
    synchronized (events) {
      if (events.size() >= capacity) {
        events.removeFirst();
        dropped++;
      }
      events.addLast(event);
      events.notifyAll();
    }
  }

  /** The process ended: no event will come, waiters stop waiting. */
  void end(String why) {
    ended = why;
    synchronized (events) {
      events.notifyAll();
    }
  }

  /** Why the process ended; null while it runs. */
  String ended() {
    return ended;
  }

  /**
   * Waits until {@code count} buffered events convert (through {@code convert}) to values matching
   * {@code filter}, the timeout passes or the process ends; returns the matching values (maybe
   * fewer).
   */
  <T> List<T> awaitMatching(
      int count, Function<JsonNode, T> convert, Predicate<T> filter, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (events) {
      while (true) {
        List<T> matching = new ArrayList<>();
        for (JsonNode e : events) {
          T value = convert.apply(e);
          if (value != null && filter.test(value)) matching.add(value);
        }
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (matching.size() >= count || left <= 0 || ended != null) return matching;
        waitOn(left);
      }
    }
  }

  /**
   * The first event matching {@code filter}, buffered or new; throws on timeout or when the process
   * ended.
   */
  JsonNode await(Predicate<JsonNode> filter, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (events) {
      while (true) {
        for (JsonNode e : events) if (filter.test(e)) return e;
        if (ended != null)
          throw new IllegalStateException(
              "peer " + peer + ": no " + what + "; " + ended + " (log " + log + ")");
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0)
          throw new IllegalStateException(
              "peer "
                  + peer
                  + ": no "
                  + what
                  + " within "
                  + timeout.toMillis()
                  + " ms (log "
                  + log
                  + ")");
        waitOn(left);
      }
    }
  }

  boolean any(Predicate<JsonNode> filter) {
    synchronized (events) {
      for (JsonNode e : events) if (filter.test(e)) return true;
    }
    return false;
  }

  /** The buffered events, oldest first. */
  List<JsonNode> snapshot() {
    synchronized (events) {
      return List.copyOf(events);
    }
  }

  long dropped() {
    synchronized (events) {
      return dropped;
    }
  }

  private void waitOn(long millis) {
    try {
      events.wait(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
