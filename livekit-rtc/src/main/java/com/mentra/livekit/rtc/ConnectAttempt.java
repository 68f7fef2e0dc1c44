package com.mentra.livekit.rtc;

import com.mentra.livekit.rtc.RoomConnectException.Reason;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One attempt of an {@link RtcSession} to get media flowing, a join or a resume. It succeeds when
 * the session finds its transports up, fails when its timeout passes first or when the session
 * fails it. While it is pending the session is asked to look every 250 ms: after a resume the
 * transports may be connected already, and then no event comes.
 *
 * <p>Confined to the room's executor; the timers only hand over.
 */
final class ConnectAttempt {
  /**
   * How long an attempt waits, after the transports are up, for the server's reliable data channel.
   */
  private static final long INBOUND_CHANNEL_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final RoomExecutor room;
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private ScheduledFuture<?> timeoutTask;

  /** When the transports were first seen up (0: not yet); bounds the data-channel wait. */
  private long transportsUpAtNanos;

  /**
   * @param look runs on the room every 250 ms while the attempt is pending
   */
  ConnectAttempt(RoomExecutor room, String host, Duration timeout, Runnable look) {
    this.room = room;
    this.timeoutTask =
        room.schedule(
            () -> {
              if (!done.isDone()) {
                done.completeExceptionally(
                    new RoomConnectException(
                        Reason.TIMEOUT,
                        "no join from LiveKit at "
                            + host
                            + " within "
                            + timeout.toMillis()
                            + " ms"));
              }
            },
            timeout.toMillis(),
            TimeUnit.MILLISECONDS);
    ScheduledFuture<?> poll = room.every(look, 250, TimeUnit.MILLISECONDS);
    done.whenComplete((v, e) -> poll.cancel(false));
  }

  /** Completes on the room's executor, when the attempt succeeds or fails. */
  CompletableFuture<Void> future() {
    return done;
  }

  boolean pending() {
    return !done.isDone();
  }

  /** Fails the attempt if it is still pending; false when it was not. */
  boolean fail(Throwable why) {
    room.checkCurrent();
    return done.completeExceptionally(why);
  }

  /**
   * The transports are up: the attempt succeeds, unless it should still wait for the server's
   * reliable data channel ({@code channelPending}). The phone's data reaches us on that channel: a
   * join that returned before it opened lost whatever the phone sent in between (seen at 20% loss:
   * up to 61 packets). It is waited for at most a second: a server that opens none must not fail
   * the join.
   */
  void transportsUp(boolean channelPending) {
    room.checkCurrent();
    long now = System.nanoTime();
    if (transportsUpAtNanos == 0) transportsUpAtNanos = now;
    if (channelPending && now - transportsUpAtNanos < INBOUND_CHANNEL_WAIT_NANOS) return;
    transportsUpAtNanos = 0;
    cancelTimeout();
    done.complete(null);
  }

  /** The session closes: no timeout will fail the attempt any more. */
  void cancelTimeout() {
    room.checkCurrent();
    if (timeoutTask != null) {
      timeoutTask.cancel(false);
      timeoutTask = null;
    }
  }
}
