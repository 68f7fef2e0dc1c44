package com.mentra.livekit.rtc;

/** {@link Room#connect} failed; {@link #reason()} says why in a way callers can act on. */
public final class RoomConnectException extends Exception {
  private static final long serialVersionUID = 1L;

  public enum Reason {
    /** The URL is malformed or not ws/wss/http/https. */
    INVALID_URL,
    /** The server refused the token (invalid, expired, wrong key, no join grant). */
    UNAUTHORIZED,
    /** Nothing answered at that address (refused, unreachable, unknown host). */
    UNREACHABLE,
    /** The server did not complete the handshake or join in time. */
    TIMEOUT,
    /** The server closed the connection or answered something that is not LiveKit. */
    PROTOCOL,
    /** The room was closed while connecting. */
    CANCELLED
  }

  private final Reason reason;

  public RoomConnectException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public RoomConnectException(Reason reason, String message) {
    this(reason, message, null);
  }

  public Reason reason() {
    return reason;
  }
}
