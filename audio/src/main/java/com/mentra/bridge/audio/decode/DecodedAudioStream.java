package com.mentra.bridge.audio.decode;

import java.io.Closeable;
import java.io.IOException;

/** A decoder's output: interleaved 16-bit PCM. Not thread-safe. */
public interface DecodedAudioStream extends Closeable {
  int sampleRate();

  int channels();

  /**
   * Reads up to {@code buffer.length / channels()} frames; returns frames read, or -1 at the end.
   *
   * @throws DecodeException on corrupt input, naming the position
   */
  int read(short[] buffer) throws IOException;
}
