package com.mentra.testing;

import com.mentra.bridge.dsp.Pcm16;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** 16-bit PCM WAV files (RIFF, little-endian). Stateless; thread-safe. */
public final class Wav {
  /** Interleaved samples with their format. The array is shared, not copied. */
  public record Audio(short[] samples, int sampleRate, int channels) {
    public Audio {
      if (sampleRate <= 0 || channels <= 0)
        throw new IllegalArgumentException(
            "bad format: " + sampleRate + " Hz, " + channels + " channels");
    }

    /** Samples per channel. */
    public int frames() {
      return samples.length / channels;
    }

    public double durationMs() {
      return samples.length / (double) channels / sampleRate * 1000.0;
    }

    /** Channel {@code c} alone. */
    public short[] channel(int c) {
      if (c < 0 || c >= channels)
        throw new IndexOutOfBoundsException("channel " + c + " of " + channels);
      short[] out = new short[frames()];
      for (int i = 0; i < out.length; i++) out[i] = samples[i * channels + c];
      return out;
    }

    /** The average of all channels (the samples themselves when mono). */
    public short[] mono() {
      if (channels == 1) return samples;
      short[] out = new short[frames()];
      for (int i = 0; i < out.length; i++) {
        int sum = 0;
        for (int c = 0; c < channels; c++) sum += samples[i * channels + c];
        out[i] = (short) Math.round((double) sum / channels);
      }
      return out;
    }
  }

  private Wav() {}

  /**
   * Reads a 16-bit PCM WAV file (plain or WAVE_FORMAT_EXTENSIBLE); a truncated data chunk is read
   * as far as it goes.
   */
  public static Audio read(Path path) throws IOException {
    return read(Files.readAllBytes(path), path.toString());
  }

  /** Parses WAV bytes; {@code name} is for error messages. */
  public static Audio read(byte[] bytes, String name) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (buf.limit() < 12 || buf.getInt(0) != 0x46464952 || buf.getInt(8) != 0x45564157)
      throw new IOException(name + " is not a WAV file");
    int offset = 12;
    int format = 0;
    int rate = 0;
    int channels = 0;
    int bits = 0;
    while (offset + 8 <= buf.limit()) {
      int id = buf.getInt(offset);
      long size = buf.getInt(offset + 4) & 0xffffffffL;
      int body = offset + 8;
      if (id == 0x20746d66) { // "fmt "
        if (size < 16 || body + 16 > buf.limit()) throw new IOException(name + ": short fmt chunk");
        format = buf.getShort(body) & 0xffff;
        channels = buf.getShort(body + 2) & 0xffff;
        rate = buf.getInt(body + 4);
        bits = buf.getShort(body + 14) & 0xffff;
        if (format == 0xfffe && size >= 26 && body + 26 <= buf.limit())
          format = buf.getShort(body + 24) & 0xffff;
      } else if (id == 0x61746164) { // "data"
        if (format != 1 || bits != 16)
          throw new IOException(
              name
                  + ": only 16-bit PCM is supported, got format "
                  + format
                  + ", "
                  + bits
                  + " bits");
        if (channels < 1 || rate < 1)
          throw new IOException(name + ": bad format, " + rate + " Hz, " + channels + " channels");
        int end = (int) Math.min(buf.limit(), body + size);
        return new Audio(Pcm16.decode(buf.slice(body, end - body)), rate, channels);
      }
      long next = body + size + (size & 1);
      if (next > Integer.MAX_VALUE) break;
      offset = (int) next;
    }
    throw new IOException(name + ": no data chunk");
  }

  public static void write(Path path, Audio audio) throws IOException {
    Files.write(path, bytes(audio));
  }

  /** Writes interleaved {@code samples}. */
  public static void write(Path path, short[] samples, int sampleRate, int channels)
      throws IOException {
    write(path, new Audio(samples, sampleRate, channels));
  }

  /** The WAV file's bytes. */
  public static byte[] bytes(Audio audio) {
    int dataBytes = audio.samples().length * 2;
    ByteBuffer buf = ByteBuffer.allocate(44 + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    buf.putInt(0x46464952).putInt(36 + dataBytes).putInt(0x45564157);
    buf.putInt(0x20746d66)
        .putInt(16)
        .putShort((short) 1)
        .putShort((short) audio.channels())
        .putInt(audio.sampleRate())
        .putInt(audio.sampleRate() * audio.channels() * 2)
        .putShort((short) (audio.channels() * 2))
        .putShort((short) 16);
    buf.putInt(0x61746164).putInt(dataBytes);
    Pcm16.put(buf, audio.samples());
    return buf.array();
  }
}
