package com.mentra.livekit.rtc;

import java.time.Duration;
import java.util.function.LongSupplier;
import livekit.LivekitRtc.LeaveRequest;

/**
 * How a room gets back after losing its connection, as pure decisions (LiveKit's Rust SDK keeps the
 * same policy in rtc_engine): first a resume (same session: reconnect the signal, restart ICE) when
 * the room has transports and a session to resume; if that fails, full rejoins with exponential
 * backoff (250 ms doubling, at most 2 s) until {@code maxAttempts} attempts or the overall {@code
 * timeout} is spent; then give up with the last error. Each attempt may take at most the connect
 * timeout, never more than what is left of the overall timeout (and at least 500 ms). Time comes
 * from an injected clock, so every path is unit-tested without a server. Not thread-safe: used on
 * the room's executor.
 */
final class ReconnectPolicy {
  /** What to do next. */
  sealed interface Decision {}

  /** Resume the session; give the attempt {@code timeout}. */
  record Resume(Duration timeout) implements Decision {}

  /** Rejoin from scratch after {@code delay}; then call {@link #rejoinNow()}. */
  record RejoinAfter(Duration delay) implements Decision {}

  /** Rejoin now; give the attempt {@code timeout}. */
  record Rejoin(Duration timeout) implements Decision {}

  /** Stop trying; the room is DISCONNECTED for {@code reason}. */
  record GiveUp(String reason) implements Decision {}

  private static final long MIN_ATTEMPT_MS = 500;
  private static final long FIRST_BACKOFF_MS = 250;
  private static final long MAX_BACKOFF_MS = 2_000;

  private final int maxAttempts;
  private final Duration timeout;
  private final Duration connectTimeout;
  private final LongSupplier nanoClock;
  private long deadlineNanos;
  private int attempts;
  private String lastError = "";

  /**
   * Whether the server's {@code leave} lets us come back (resume or rejoin) rather than end the
   * room.
   */
  static boolean allowsReconnect(LeaveRequest leave) {
    return leave.getAction() == LeaveRequest.Action.RECONNECT
        || leave.getAction() == LeaveRequest.Action.RESUME
        || (leave.getAction() == LeaveRequest.Action.DISCONNECT && leave.getCanReconnect());
  }

  ReconnectPolicy(
      int maxAttempts, Duration timeout, Duration connectTimeout, LongSupplier nanoClock) {
    this.maxAttempts = maxAttempts;
    this.timeout = timeout;
    this.connectTimeout = connectTimeout;
    this.nanoClock = nanoClock;
  }

  /** The connection was lost for {@code why}; {@code canResume}: transports and a session exist. */
  Decision lost(String why, boolean canResume) {
    deadlineNanos = nanoClock.getAsLong() + timeout.toNanos();
    attempts = 0;
    lastError = why;
    if (canResume && maxAttempts > 0) {
      attempts++;
      return new Resume(attemptTimeout());
    }
    return rejoinNow();
  }

  /** The resume failed: rejoin at once (the server may simply have forgotten the session). */
  Decision resumeFailed(String error) {
    lastError = error;
    return rejoinNow();
  }

  /** A rejoin failed: back off, or give up when the wait would outlast the overall timeout. */
  Decision rejoinFailed(String error) {
    lastError = error;
    long backoffMs =
        Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(Math.max(0, attempts - 1), 3));
    if (remainingMillis() <= backoffMs) return giveUp();
    return new RejoinAfter(Duration.ofMillis(backoffMs));
  }

  /** Time for a rejoin attempt (right away, or after a {@link RejoinAfter}'s delay). */
  Decision rejoinNow() {
    if (attempts >= maxAttempts || remainingMillis() <= 0) return giveUp();
    attempts++;
    return new Rejoin(attemptTimeout());
  }

  int attempts() {
    return attempts;
  }

  String lastError() {
    return lastError;
  }

  private GiveUp giveUp() {
    return new GiveUp(
        "reconnection gave up after "
            + attempts
            + " attempts over "
            + timeout.toSeconds()
            + " s; last error: "
            + lastError);
  }

  private Duration attemptTimeout() {
    return Duration.ofMillis(
        Math.max(MIN_ATTEMPT_MS, Math.min(connectTimeout.toMillis(), remainingMillis())));
  }

  private long remainingMillis() {
    return (deadlineNanos - nanoClock.getAsLong()) / 1_000_000;
  }
}
