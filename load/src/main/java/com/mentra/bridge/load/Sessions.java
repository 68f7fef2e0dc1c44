package com.mentra.bridge.load;

import com.mentra.bridge.api.JoinRoomRequest;
import com.mentra.bridge.api.JoinRoomResponse;
import com.mentra.bridge.api.LeaveRoomRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The run's N sessions, joined the cloud's way (JoinRoom, then StreamAudio) and left,
 * --join-concurrency at a time. Thread-safety: {@link #all} is filled before the joins start and
 * not changed after; the join figures are atomic; {@link #joinAll} and {@link #leaveAll} are the
 * run's main thread's.
 */
final class Sessions {
  private final LoadOptions o;
  private final List<String> problems;

  /** Every session, by index (the phone with the same index sends to it). */
  final List<Session> all = new ArrayList<>();

  final Histogram joinMs = new Histogram();
  private final AtomicLong joinFailures = new AtomicLong();

  Sessions(LoadOptions o, Latencies latencies, List<String> problems) {
    this.o = o;
    this.problems = problems;
    for (int i = 0; i < o.sessions; i++)
      all.add(new Session(i, latencies.down, latencies.received));
  }

  /** JoinRoom then StreamAudio for every session; returns the seconds all of them took. */
  double joinAll(BridgeClient bridge) throws Exception {
    long joinStart = System.nanoTime();
    try (ExecutorService pool = Executors.newFixedThreadPool(o.joinConcurrency)) {
      List<Future<?>> joins = new ArrayList<>();
      for (Session s : all) {
        joins.add(
            pool.submit(
                () -> {
                  long t0 = System.nanoTime();
                  try {
                    JoinRoomResponse r =
                        bridge
                            .blocking
                            .withDeadlineAfter(60, TimeUnit.SECONDS)
                            .joinRoom(
                                JoinRoomRequest.newBuilder()
                                    .setUserId(s.userId)
                                    .setRoomName(s.room)
                                    .setTargetIdentity(s.userId)
                                    .build());
                    if (!r.getSuccess()) throw new IllegalStateException(r.getError());
                    joinMs.record((System.nanoTime() - t0) / 1_000);
                    s.joinedAtNanos = System.nanoTime();
                    s.open(bridge.async);
                  } catch (RuntimeException e) {
                    joinFailures.incrementAndGet();
                    problems.add(s.userId + " did not join: " + e.getMessage());
                  }
                }));
      }
      for (Future<?> f : joins) f.get();
    }
    return (System.nanoTime() - joinStart) / 1e9;
  }

  long joinFailures() {
    return joinFailures.get();
  }

  /** Ends every session's StreamAudio and calls LeaveRoom for it. */
  void leaveAll(BridgeClient bridge) {
    try (ExecutorService pool = Executors.newFixedThreadPool(o.joinConcurrency)) {
      for (Session s : all) {
        pool.submit(
            () -> {
              s.finish();
              try {
                bridge
                    .blocking
                    .withDeadlineAfter(30, TimeUnit.SECONDS)
                    .leaveRoom(
                        LeaveRoomRequest.newBuilder()
                            .setUserId(s.userId)
                            .setReason("load tool done")
                            .build());
              } catch (RuntimeException e) {
                problems.add(s.userId + " LeaveRoom: " + e.getMessage());
              }
            });
      }
    }
  }
}
