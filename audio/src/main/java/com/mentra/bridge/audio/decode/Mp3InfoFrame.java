package com.mentra.bridge.audio.decode;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The first frame of an MP3 when it is a Xing/Info (LAME and most encoders) or VBRI (Fraunhofer)
 * header rather than audio. It gives the stream's frame count, so the duration is known before
 * decoding, and LAME's gapless numbers; the frame itself is silence and is not played. Header
 * values are only read, never used to size anything.
 *
 * @param frames audio frames the header declares (unsigned 32-bit), 0 when it does not say
 */
record Mp3InfoFrame(long frames, int samplesPerFrame, int sampleRate, GaplessInfo gapless) {
  /** More than a layer III frame's maximum (2,881 bytes). */
  private static final int PEEK = 4 * 1024;

  private static final int[] MPEG1_RATES = {44_100, 48_000, 32_000};

  /** Where a VBRI header sits: 32 bytes after the 4-byte frame header, whatever the mode. */
  private static final int VBRI_OFFSET = 36;

  /**
   * Looks at the stream's first bytes (after any ID3v2 tag) without consuming them; null when they
   * are not an info frame.
   */
  static Mp3InfoFrame peek(BufferedInputStream in) throws IOException {
    in.mark(PEEK);
    byte[] b = in.readNBytes(PEEK);
    in.reset();
    if (b.length < 4 || (b[0] & 0xff) != 0xff || (b[1] & 0xe0) != 0xe0) return null;
    int version = (b[1] >> 3) & 3; // 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5, 1 reserved
    int layer = (b[1] >> 1) & 3; // 1 is layer III
    int rateIndex = (b[2] >> 2) & 3;
    if (version == 1 || layer != 1 || rateIndex == 3) return null;
    boolean mpeg1 = version == 3;
    int rate = MPEG1_RATES[rateIndex] >> (mpeg1 ? 0 : version == 2 ? 1 : 2);
    int samplesPerFrame = mpeg1 ? 1152 : 576;
    boolean mono = (b[3] & 0xc0) == 0xc0;
    boolean crc = (b[1] & 0x01) == 0;
    int xing = 4 + (crc ? 2 : 0) + (mpeg1 ? (mono ? 17 : 32) : (mono ? 9 : 17));
    if (tagAt(b, xing, "Xing") || tagAt(b, xing, "Info")) {
      if (xing + 8 > b.length) return null;
      int flags = be32(b, xing + 4);
      int q = xing + 8;
      long frames = 0;
      if ((flags & 1) != 0) {
        if (q + 4 > b.length) return null;
        frames = Integer.toUnsignedLong(be32(b, q));
        q += 4;
      }
      if ((flags & 2) != 0) q += 4; // byte count
      if ((flags & 4) != 0) q += 100; // seek table
      if ((flags & 8) != 0) q += 4; // quality
      return new Mp3InfoFrame(frames, samplesPerFrame, rate, GaplessInfo.parse(b, q));
    }
    if (tagAt(b, VBRI_OFFSET, "VBRI") && VBRI_OFFSET + 18 <= b.length) {
      // ID, version, delay, quality (2 bytes each after the ID), byte count, frame count.
      return new Mp3InfoFrame(
          Integer.toUnsignedLong(be32(b, VBRI_OFFSET + 14)), samplesPerFrame, rate, null);
    }
    return null;
  }

  /**
   * The declared length less the encoder's delay and padding (what the decoder plays); 0 when
   * unknown.
   */
  long durationMs() {
    long samples = frames * samplesPerFrame; // at most 2^32 * 1152: no overflow
    if (gapless != null) samples -= gapless.encoderDelay() + gapless.padding();
    return DeclaredDuration.ms(samples, sampleRate);
  }

  private static boolean tagAt(byte[] b, int offset, String tag) {
    return offset + 4 <= b.length
        && new String(b, offset, 4, StandardCharsets.US_ASCII).equals(tag);
  }

  private static int be32(byte[] b, int o) {
    return (b[o] & 0xff) << 24
        | (b[o + 1] & 0xff) << 16
        | (b[o + 2] & 0xff) << 8
        | (b[o + 3] & 0xff);
  }
}
