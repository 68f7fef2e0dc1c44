package com.mentra.testing;

import com.mentra.bridge.dsp.Pcm16;

/** Sine tones and other test signals as 16-bit PCM. Stateless; thread-safe. */
public final class Tones {
  private Tones() {}

  /** A mono sine of {@code durationMs} starting at phase 0. */
  public static short[] sine(double frequency, int sampleRate, int amplitude, long durationMs) {
    return sine(frequency, sampleRate, amplitude, 0, (int) (sampleRate * durationMs / 1000));
  }

  /**
   * {@code count} samples of a mono sine starting at sample index {@code start} (for continuous
   * chunks).
   */
  public static short[] sine(
      double frequency, int sampleRate, int amplitude, long start, int count) {
    short[] out = new short[count];
    for (int i = 0; i < count; i++) {
      out[i] =
          (short)
              Math.round(amplitude * Math.sin(2 * Math.PI * frequency * (start + i) / sampleRate));
    }
    return out;
  }

  /** {@code durationMs} of digital silence. */
  public static short[] silence(int sampleRate, long durationMs) {
    return new short[(int) (sampleRate * durationMs / 1000)];
  }

  /** The parts one after another. */
  public static short[] concat(short[]... parts) {
    int n = 0;
    for (short[] p : parts) n += p.length;
    short[] out = new short[n];
    int at = 0;
    for (short[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  /** The mono signal copied to every one of {@code channels} (interleaved). */
  public static short[] interleave(short[] mono, int channels) {
    short[] out = new short[mono.length * channels];
    for (int i = 0; i < mono.length; i++)
      for (int c = 0; c < channels; c++) out[i * channels + c] = mono[i];
    return out;
  }

  /** Little-endian bytes of {@code samples}. */
  public static byte[] toBytes(short[] samples) {
    return Pcm16.encode(samples);
  }

  /** Samples from little-endian bytes (an odd last byte is ignored). */
  public static short[] fromBytes(byte[] bytes) {
    return Pcm16.decode(bytes);
  }
}
