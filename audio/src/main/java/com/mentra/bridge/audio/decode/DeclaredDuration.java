package com.mentra.bridge.audio.decode;

/** Frames-to-milliseconds for header-declared lengths, which can be any 32- or 64-bit value. */
final class DeclaredDuration {
  private DeclaredDuration() {}

  /**
   * {@code frames * 1000 / rate} without overflow: saturates at Long.MAX_VALUE; 0 for unknown
   * inputs.
   */
  static long ms(long frames, int rate) {
    if (frames <= 0 || rate <= 0) return 0;
    long seconds = frames / rate;
    if (seconds > Long.MAX_VALUE / 1000 - 1) return Long.MAX_VALUE;
    return seconds * 1000 + frames % rate * 1000 / rate;
  }
}
