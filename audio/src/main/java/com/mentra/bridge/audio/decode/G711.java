package com.mentra.bridge.audio.decode;

/** ITU-T G.711 mu-law and A-law expansion to 16-bit linear PCM. */
final class G711 {
  private G711() {}

  static short ulaw(byte encoded) {
    int u = ~encoded & 0xff;
    int t = ((u & 0x0f) << 3) + 0x84;
    t <<= (u & 0x70) >> 4;
    return (short) ((u & 0x80) != 0 ? 0x84 - t : t - 0x84);
  }

  static short alaw(byte encoded) {
    int a = (encoded ^ 0x55) & 0xff;
    int t = (a & 0x0f) << 4;
    int segment = (a & 0x70) >> 4;
    switch (segment) {
      case 0 -> t += 8;
      case 1 -> t += 0x108;
      default -> {
        t += 0x108;
        t <<= segment - 1;
      }
    }
    return (short) ((a & 0x80) != 0 ? t : -t);
  }
}
