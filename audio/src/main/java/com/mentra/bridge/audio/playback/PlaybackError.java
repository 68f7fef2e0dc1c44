package com.mentra.bridge.audio.playback;

/** Why a playback failed, for people ({@code message}) and programs ({@code kind}). */
public record PlaybackError(Kind kind, String message, int httpStatus) {
  public enum Kind {
    HTTP_STATUS,
    TIMEOUT,
    TOO_LARGE,
    TOO_LONG,
    REFUSED_ADDRESS,
    UNSUPPORTED_SCHEME,
    REDIRECT_LIMIT,
    UNSUPPORTED_FORMAT,
    DECODE_ERROR,
    IO,
    OUTPUT
  }
}
