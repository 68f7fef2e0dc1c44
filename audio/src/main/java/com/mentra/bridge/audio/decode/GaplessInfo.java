package com.mentra.bridge.audio.decode;

/**
 * The encoder delay and padding an MP3 encoder (LAME and compatibles) records in the Xing/Info
 * frame at the start of the file, so the decoder can drop the silence the codec added and the
 * played duration equals the source's. Absent for files without such a frame.
 */
record GaplessInfo(int encoderDelay, int padding) {
  /** The standard layer III decoder's own delay, which the recorded numbers leave out. */
  static final int DECODER_DELAY = 529;

  /**
   * Reads the LAME extension that follows a Xing/Info header's fields at {@code offset} of {@code
   * frame}; null when it is cut off or its numbers are not LAME-like.
   */
  static GaplessInfo parse(byte[] frame, int offset) {
    if (offset < 0 || offset + 24 > frame.length) return null;
    int d = offset + 21;
    int delay = (frame[d] & 0xff) << 4 | (frame[d + 1] & 0xf0) >> 4;
    int padding = (frame[d + 1] & 0x0f) << 8 | (frame[d + 2] & 0xff);
    if (delay > 3_000 || padding > 3_000) return null; // not a LAME-style tag
    return new GaplessInfo(delay, padding);
  }
}
