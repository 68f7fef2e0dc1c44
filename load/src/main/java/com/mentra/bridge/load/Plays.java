package com.mentra.bridge.load;

import com.mentra.bridge.api.LiveKitBridgeGrpc;
import com.mentra.bridge.api.PlayAudioEvent;
import com.mentra.bridge.api.PlayAudioRequest;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The playing sessions: each a virtual thread that calls PlayAudio of the WAV again and again
 * ({@code --play-pause} seconds apart) until the load ends, and what came of the calls.
 * Thread-safe: counters are atomic, the open calls' contexts a synchronized list; {@link #start}
 * and {@link #stop} are the run's main thread's.
 */
final class Plays {
  private final LoadOptions o;
  private final LiveKitBridgeGrpc.LiveKitBridgeStub async;
  private final List<String> problems;
  private final AtomicLong started = new AtomicLong();
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final Histogram startMs = new Histogram();
  private final List<Context.CancellableContext> openCalls =
      Collections.synchronizedList(new ArrayList<>());
  private final List<Thread> players = new ArrayList<>();

  /**
   * False once the load ends: no further plays, and a call's error then is the cancellation, no
   * failure.
   */
  private volatile boolean loadRunning = true;

  Plays(LoadOptions o, LiveKitBridgeGrpc.LiveKitBridgeStub async, List<String> problems) {
    this.o = o;
    this.async = async;
    this.problems = problems;
  }

  void start(List<Session> sessions, String url) {
    for (Session s : sessions) {
      if (o.plays(s.index)) players.add(startPlayer(s, url));
    }
  }

  /** The load ended: no player starts another play. */
  void endLoad() {
    loadRunning = false;
  }

  /** Cancels the plays still running and waits for the players (10 s each at the most). */
  void stop() throws InterruptedException {
    loadRunning = false;
    synchronized (openCalls) {
      for (Context.CancellableContext c : openCalls) c.cancel(null);
    }
    for (Thread t : players) t.join(10_000);
  }

  /**
   * PlayAudio of the WAV, again and again until the load ends (at most duration / WAV length + 1
   * times).
   */
  private Thread startPlayer(Session s, String url) {
    long maxPlays = o.duration.toSeconds() / Math.max(1, o.playSeconds + o.playPauseSeconds) + 2;
    return Thread.ofVirtual()
        .name("play-" + s.index)
        .start(
            () -> {
              for (long n = 0; n < maxPlays && loadRunning; n++) {
                Context.CancellableContext context = Context.current().withCancellation();
                openCalls.add(context);
                CountDownLatch done = new CountDownLatch(1);
                long t0 = System.nanoTime();
                String requestId = s.userId + "-play-" + n;
                context.run(
                    () ->
                        async.playAudio(
                            PlayAudioRequest.newBuilder()
                                .setRequestId(requestId)
                                .setAudioUrl(url)
                                .setUserId(s.userId)
                                .setTrackId(0)
                                .build(),
                            new StreamObserver<>() {
                              @Override
                              public void onNext(PlayAudioEvent e) {
                                switch (e.getType()) {
                                  case STARTED -> {
                                    started.incrementAndGet();
                                    startMs.record((System.nanoTime() - t0) / 1_000);
                                  }
                                  case COMPLETED -> completed.incrementAndGet();
                                  case FAILED -> {
                                    failed.incrementAndGet();
                                    if (failed.get() <= 5)
                                      problems.add(requestId + " FAILED: " + e.getError());
                                  }
                                  default -> {}
                                }
                              }

                              @Override
                              public void onError(Throwable t) {
                                if (loadRunning) {
                                  failed.incrementAndGet();
                                  if (failed.get() <= 5) problems.add(requestId + ": " + t);
                                }
                                done.countDown();
                              }

                              @Override
                              public void onCompleted() {
                                done.countDown();
                              }
                            }));
                try {
                  if (!done.await(o.playSeconds + 60L, TimeUnit.SECONDS)) {
                    problems.add(requestId + " did not end within " + (o.playSeconds + 60) + " s");
                    context.cancel(null);
                  }
                } catch (InterruptedException e) {
                  context.cancel(null);
                  return;
                }
                openCalls.remove(context);
                if (!pause()) return;
              }
            });
  }

  /** Waits {@code --play-pause} seconds, or less when the load ends; false when interrupted. */
  private boolean pause() {
    long end = System.nanoTime() + o.playPauseSeconds * 1_000_000_000L;
    try {
      while (loadRunning && System.nanoTime() < end) Thread.sleep(100);
      return true;
    } catch (InterruptedException e) {
      return false;
    }
  }

  /** A sample's "plays" figures: the counts so far. */
  Map<String, Object> counts() {
    return Map.of("started", started.get(), "completed", completed.get(), "failed", failed.get());
  }

  /** The summary's "plays" figures: the counts and how long PlayAudio took to start. */
  Map<String, Object> figures() {
    Map<String, Object> plays = new LinkedHashMap<>();
    plays.put("started", started.get());
    plays.put("completed", completed.get());
    plays.put("failed", failed.get());
    plays.put("start_ms", Figures.latencies(startMs));
    return plays;
  }
}
