package com.mentra.bridge.audio.decode;

/** The bytes are not audio in a format this bridge decodes. */
public class UnsupportedFormatException extends DecodeException {
  private static final long serialVersionUID = 1L;

  public UnsupportedFormatException(String message) {
    super(message);
  }
}
