package com.mentra.bridge.audio.decode;

import java.io.IOException;

/** The audio bytes are corrupt or truncated; the message names where. */
public class DecodeException extends IOException {
  private static final long serialVersionUID = 1L;

  public DecodeException(String message) {
    super(message);
  }

  public DecodeException(String message, Throwable cause) {
    super(message, cause);
  }
}
