package com.mentra.livekit.rtc;

import com.mentra.livekit.rtc.internal.SignalConnection;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import livekit.LivekitRtc.Ping;
import livekit.LivekitRtc.SignalRequest;

/**
 * One join's signal keepalive: pings at the interval the server gave in its join response and
 * reports the connection lost when no pong came within the server's timeout (a socket can stay
 * open, yet dead, for minutes). Restarted when a resume succeeds, stopped while one is under way.
 *
 * <p>Confined to the room's executor; the timer only hands each ping over.
 */
final class SignalKeepalive {
  private final RoomExecutor room;
  private final Supplier<SignalConnection> signal;
  private final Consumer<String> onSilent;
  private int intervalSeconds;
  private int timeoutSeconds;
  private ScheduledFuture<?> task;
  private long lastPongNanos;

  /**
   * @param signal the join's current signal connection (null while it has none)
   * @param onSilent called with the reason when the server fell silent for longer than its timeout
   */
  SignalKeepalive(RoomExecutor room, Supplier<SignalConnection> signal, Consumer<String> onSilent) {
    this.room = room;
    this.signal = signal;
    this.onSilent = onSilent;
  }

  /** (Re)starts pinging with the server's figures; an interval of 0 means no pings. */
  void start(int intervalSeconds, int timeoutSeconds) {
    room.checkCurrent();
    this.intervalSeconds = intervalSeconds;
    this.timeoutSeconds = timeoutSeconds;
    restart();
  }

  /** Starts again with the figures of the last {@link #start}; the silence counts from now. */
  void restart() {
    room.checkCurrent();
    stop();
    lastPongNanos = System.nanoTime();
    if (intervalSeconds > 0) task = room.every(this::ping, intervalSeconds, TimeUnit.SECONDS);
  }

  void stop() {
    room.checkCurrent();
    if (task != null) {
      task.cancel(false);
      task = null;
    }
  }

  void onPong() {
    room.checkCurrent();
    lastPongNanos = System.nanoTime();
  }

  private void ping() {
    SignalConnection connection = signal.get();
    if (task == null || connection == null) return; // stopped, or a ping queued before it was
    long silentSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - lastPongNanos);
    if (timeoutSeconds > 0 && silentSeconds > timeoutSeconds) {
      onSilent.accept("no pong from the server for " + silentSeconds + " s");
      return;
    }
    connection.send(
        SignalRequest.newBuilder()
            .setPingReq(Ping.newBuilder().setTimestamp(System.currentTimeMillis()))
            .build());
  }
}
