package com.mentra.bridge.dsp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;

/**
 * The one codec for 16-bit little-endian PCM, the byte layout of every PCM payload the bridge
 * handles: the gRPC API's AudioChunk, libwebrtc's audio frames, WAV data and L16 URLs. Samples are
 * signed, interleaved when there is more than one channel. Stateless; thread-safe.
 */
public final class Pcm16 {
  /** Bytes per sample. */
  public static final int BYTES = 2;

  private Pcm16() {}

  /** The sample at {@code byteOffset}. */
  public static short read(byte[] bytes, int byteOffset) {
    return (short) ((bytes[byteOffset] & 0xff) | (bytes[byteOffset + 1] << 8));
  }

  /** Writes {@code sample} at {@code byteOffset}. */
  public static void write(short sample, byte[] bytes, int byteOffset) {
    bytes[byteOffset] = (byte) sample;
    bytes[byteOffset + 1] = (byte) (sample >> 8);
  }

  /**
   * Writes {@code count} samples from {@code samples[offset]} to {@code out[outOffset]}, 2 bytes
   * each.
   */
  public static void encode(short[] samples, int offset, int count, byte[] out, int outOffset) {
    for (int i = 0; i < count; i++) write(samples[offset + i], out, outOffset + BYTES * i);
  }

  /** The bytes of {@code samples}. */
  public static byte[] encode(short[] samples) {
    byte[] out = new byte[samples.length * BYTES];
    encode(samples, 0, samples.length, out, 0);
    return out;
  }

  /** Appends {@code samples} to {@code out} little-endian, whatever the buffer's own byte order. */
  public static void put(ByteBuffer out, short[] samples) {
    ByteOrder order = out.order();
    out.order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().put(samples);
    out.position(out.position() + samples.length * BYTES).order(order);
  }

  /** The samples in {@code bytes} (an odd last byte is ignored). */
  public static short[] decode(byte[] bytes) {
    short[] out = new short[bytes.length / BYTES];
    for (int i = 0; i < out.length; i++) out[i] = read(bytes, BYTES * i);
    return out;
  }

  /**
   * The samples in {@code bytes} from its position to its limit (an odd last byte is ignored),
   * copied straight out of the buffer (also a read-only or direct one, such as a protobuf
   * ByteString's): no intermediate byte[]. Leaves the buffer's position and order alone.
   */
  public static short[] decode(ByteBuffer bytes) {
    ShortBuffer view = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
    short[] out = new short[view.remaining()];
    view.get(out);
    return out;
  }
}
