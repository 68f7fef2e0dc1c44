package com.mentra.bridge.audio.fetch;

import java.io.IOException;

/** Fetching an audio URL failed; {@link #kind()} says how, the message says it for people. */
public final class FetchException extends IOException {
  private static final long serialVersionUID = 1L;

  public enum Kind {
    HTTP_STATUS,
    TIMEOUT,
    TOO_LARGE,
    REFUSED_ADDRESS,
    UNSUPPORTED_SCHEME,
    REDIRECT_LIMIT,
    IO
  }

  private final Kind kind;
  private final int httpStatus;

  public FetchException(Kind kind, String message) {
    this(kind, message, 0, null);
  }

  public FetchException(Kind kind, String message, int httpStatus, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.httpStatus = httpStatus;
  }

  public Kind kind() {
    return kind;
  }

  /** The HTTP status for {@link Kind#HTTP_STATUS}, else 0. */
  public int httpStatus() {
    return httpStatus;
  }
}
