package com.mentra.bridge.audio.decode;

import java.io.Closeable;
import java.io.IOException;

/** A decoder's output: interleaved 16-bit PCM. Not thread-safe. */
public interface DecodedAudioStream extends Closeable {
  int sampleRate();

  int channels();

  /**
   * The duration the source declares before any audio is decoded (a WAV data chunk's size, an MP3's
   * Xing/Info or VBRI frame count, a raw stream's Content-Length), in milliseconds; 0 when it
   * declares none. Taken from the header as is, so a lying header gives a wrong value (never an
   * exception); the played duration is what {@link #read} delivers.
   */
  long declaredDurationMs();

  /**
   * Reads up to {@code buffer.length / channels()} frames; returns frames read, or -1 at the end.
   *
   * @throws DecodeException on corrupt input, naming the position
   */
  int read(short[] buffer) throws IOException;
}
