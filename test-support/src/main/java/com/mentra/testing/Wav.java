package com.mentra.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** 16-bit PCM WAV files. */
public final class Wav {
  /** Interleaved samples with their format. */
  public record Audio(short[] samples, int sampleRate, int channels) {
    public double durationMs() {
      return samples.length / (double) channels / sampleRate * 1000.0;
    }
  }

  private Wav() {}

  public static Audio read(Path path) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
    if (buf.getInt(0) != 0x46464952 || buf.getInt(8) != 0x45564157) throw new IOException(path + " is not a WAV file");
    int offset = 12;
    int rate = 0;
    int channels = 0;
    int bits = 0;
    while (offset + 8 <= buf.limit()) {
      int id = buf.getInt(offset);
      int size = buf.getInt(offset + 4);
      int body = offset + 8;
      if (id == 0x20746d66) { // "fmt "
        channels = buf.getShort(body + 2);
        rate = buf.getInt(body + 4);
        bits = buf.getShort(body + 14);
      } else if (id == 0x61746164) { // "data"
        if (bits != 16) throw new IOException(path + ": only 16-bit PCM is supported, got " + bits);
        int end = Math.min(buf.limit(), body + size);
        short[] samples = new short[(end - body) / 2];
        for (int i = 0; i < samples.length; i++) samples[i] = buf.getShort(body + 2 * i);
        return new Audio(samples, rate, channels);
      }
      offset = body + size + (size & 1);
    }
    throw new IOException(path + ": no data chunk");
  }

  public static void write(Path path, Audio audio) throws IOException {
    Files.write(path, bytes(audio));
  }

  /** The WAV file's bytes. */
  public static byte[] bytes(Audio audio) {
    int dataBytes = audio.samples().length * 2;
    ByteBuffer buf = ByteBuffer.allocate(44 + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    buf.putInt(0x46464952).putInt(36 + dataBytes).putInt(0x45564157);
    buf.putInt(0x20746d66).putInt(16).putShort((short) 1).putShort((short) audio.channels())
        .putInt(audio.sampleRate()).putInt(audio.sampleRate() * audio.channels() * 2)
        .putShort((short) (audio.channels() * 2)).putShort((short) 16);
    buf.putInt(0x61746164).putInt(dataBytes);
    for (short s : audio.samples()) buf.putShort(s);
    return buf.array();
  }
}
