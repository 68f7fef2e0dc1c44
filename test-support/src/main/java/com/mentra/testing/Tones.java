package com.mentra.testing;

/** Sine tones as 16-bit PCM. */
public final class Tones {
  private Tones() {}

  /** A mono sine of {@code durationMs} starting at phase 0. */
  public static short[] sine(double frequency, int sampleRate, int amplitude, long durationMs) {
    return sine(frequency, sampleRate, amplitude, 0, (int) (sampleRate * durationMs / 1000));
  }

  /** {@code count} samples of a mono sine starting at sample index {@code start} (for continuous chunks). */
  public static short[] sine(double frequency, int sampleRate, int amplitude, long start, int count) {
    short[] out = new short[count];
    for (int i = 0; i < count; i++) {
      out[i] = (short) Math.round(amplitude * Math.sin(2 * Math.PI * frequency * (start + i) / sampleRate));
    }
    return out;
  }

  /** Little-endian bytes of {@code samples}. */
  public static byte[] toBytes(short[] samples) {
    byte[] out = new byte[samples.length * 2];
    for (int i = 0; i < samples.length; i++) {
      out[2 * i] = (byte) samples[i];
      out[2 * i + 1] = (byte) (samples[i] >> 8);
    }
    return out;
  }

  public static short[] fromBytes(byte[] bytes) {
    short[] out = new short[bytes.length / 2];
    for (int i = 0; i < out.length; i++) out[i] = (short) ((bytes[2 * i] & 0xff) | (bytes[2 * i + 1] << 8));
    return out;
  }
}
