package com.mentra.bridge.audio.decode;

import java.io.BufferedInputStream;
import java.io.IOException;

/**
 * The encoder delay and padding an MP3 encoder (LAME and compatibles) records in the Xing/Info
 * frame at the start of the file, so the decoder can drop the silence the codec added and the
 * played duration equals the source's. Absent for files without such a frame.
 */
record GaplessInfo(int encoderDelay, int padding) {
  /** The standard layer III decoder's own delay, which the recorded numbers leave out. */
  static final int DECODER_DELAY = 529;
  private static final int PEEK = 8 * 1024;

  /** Looks at the stream's first bytes without consuming them; null when there is no LAME tag. */
  static GaplessInfo peek(BufferedInputStream in) throws IOException {
    in.mark(PEEK);
    byte[] b = in.readNBytes(PEEK);
    in.reset();
    int p = 0;
    if (b.length >= 10 && b[0] == 'I' && b[1] == 'D' && b[2] == '3') {
      int size = (b[6] & 0x7f) << 21 | (b[7] & 0x7f) << 14 | (b[8] & 0x7f) << 7 | (b[9] & 0x7f);
      p = 10 + size + ((b[5] & 0x10) != 0 ? 10 : 0);
    }
    if (p + 4 > b.length || (b[p] & 0xff) != 0xff || (b[p + 1] & 0xe0) != 0xe0) return null;
    boolean mpeg1 = (b[p + 1] & 0x18) == 0x18;
    boolean mono = (b[p + 3] & 0xc0) == 0xc0;
    boolean crc = (b[p + 1] & 0x01) == 0;
    int xing = p + 4 + (crc ? 2 : 0) + (mpeg1 ? (mono ? 17 : 32) : (mono ? 9 : 17));
    if (xing + 8 > b.length) return null;
    String tag = new String(b, xing, 4, java.nio.charset.StandardCharsets.US_ASCII);
    if (!tag.equals("Xing") && !tag.equals("Info")) return null;
    int flags = (b[xing + 4] & 0xff) << 24 | (b[xing + 5] & 0xff) << 16 | (b[xing + 6] & 0xff) << 8 | (b[xing + 7] & 0xff);
    int q = xing + 8;
    if ((flags & 1) != 0) q += 4;
    if ((flags & 2) != 0) q += 4;
    if ((flags & 4) != 0) q += 100;
    if ((flags & 8) != 0) q += 4;
    if (q + 24 > b.length) return null;
    int d = q + 21;
    int delay = (b[d] & 0xff) << 4 | (b[d + 1] & 0xf0) >> 4;
    int padding = (b[d + 1] & 0x0f) << 8 | (b[d + 2] & 0xff);
    if (delay > 3_000 || padding > 3_000) return null; // not a LAME-style tag
    return new GaplessInfo(delay, padding);
  }
}
