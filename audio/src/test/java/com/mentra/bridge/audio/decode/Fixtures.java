package com.mentra.bridge.audio.decode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Test audio generated on the spot: WAV in every encoding the decoder reads, raw PCM, and MP3 and
 * Ogg Opus through the lame and opusenc encoders (which scripts/test.sh installs).
 */
public final class Fixtures {
  private Fixtures() {}

  /** A sine of {@code seconds} at 0.4 of full scale. */
  public static double[] tone(double frequency, int rate, double seconds) {
    double[] tone = new double[(int) (rate * seconds)];
    for (int i = 0; i < tone.length; i++)
      tone[i] = 0.4 * Math.sin(2 * Math.PI * frequency * i / rate);
    return tone;
  }

  /**
   * A WAV of {@code tone} in {@code encoding}: pcm8, pcm16, pcm24, pcm32, float32, mulaw, alaw or
   * extensible (16-bit).
   */
  public static byte[] wav(String encoding, double[] tone, int rate, int channels) {
    int format =
        switch (encoding) {
          case "float32" -> 3;
          case "mulaw" -> 7;
          case "alaw" -> 6;
          default -> 1;
        };
    int bits =
        switch (encoding) {
          case "pcm8", "mulaw", "alaw" -> 8;
          case "pcm24" -> 24;
          case "pcm32", "float32" -> 32;
          default -> 16;
        };
    boolean extensible = encoding.equals("extensible");
    byte[] data =
        switch (encoding) {
          case "pcm8" -> pcm8(tone, channels);
          case "mulaw" -> g711(tone, channels, true);
          case "alaw" -> g711(tone, channels, false);
          case "float32" -> pcm(tone, channels, 4, false, true);
          default -> pcm(tone, channels, bits / 8, false, false);
        };
    int fmtSize = extensible ? 40 : 16;
    ByteBuffer b =
        ByteBuffer.allocate(12 + 8 + fmtSize + 8 + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes()).putInt(4 + 8 + fmtSize + 8 + data.length).put("WAVE".getBytes());
    b.put("fmt ".getBytes())
        .putInt(fmtSize)
        .putShort((short) (extensible ? 0xFFFE : format))
        .putShort((short) channels)
        .putInt(rate)
        .putInt(rate * channels * bits / 8)
        .putShort((short) (channels * bits / 8))
        .putShort((short) bits);
    if (extensible) {
      b.putShort((short) 22).putShort((short) bits).putInt(channels == 1 ? 4 : 3);
      // KSDATAFORMAT_SUBTYPE_PCM: 00000001-0000-0010-8000-00aa00389b71
      b.putInt(1)
          .putShort((short) 0)
          .putShort((short) 0x10)
          .put(new byte[] {(byte) 0x80, 0, 0, (byte) 0xaa, 0, 0x38, (byte) 0x9b, 0x71});
    }
    b.put("data".getBytes()).putInt(data.length).put(data);
    return b.array();
  }

  /** Interleaved samples, every channel the tone. */
  public static byte[] pcm(
      double[] tone, int channels, int bytesPerSample, boolean bigEndian, boolean asFloat) {
    ByteBuffer b =
        ByteBuffer.allocate(tone.length * channels * bytesPerSample)
            .order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    for (double v : tone) {
      for (int c = 0; c < channels; c++) {
        if (asFloat) b.putFloat((float) v);
        else if (bytesPerSample == 2) b.putShort((short) Math.round(v * 32767));
        else if (bytesPerSample == 3) {
          int s = (int) Math.round(v * 8_388_607);
          b.put((byte) s).put((byte) (s >> 8)).put((byte) (s >> 16));
        } else b.putInt((int) Math.round(v * 2_147_483_647.0));
      }
    }
    return b.array();
  }

  private static byte[] pcm8(double[] tone, int channels) {
    byte[] out = new byte[tone.length * channels];
    for (int i = 0; i < tone.length; i++)
      for (int c = 0; c < channels; c++)
        out[i * channels + c] = (byte) (Math.round(tone[i] * 127) + 128);
    return out;
  }

  private static byte[] g711(double[] tone, int channels, boolean ulaw) {
    byte[] out = new byte[tone.length * channels];
    for (int i = 0; i < tone.length; i++) {
      short s = (short) Math.round(tone[i] * 32767);
      byte e = ulaw ? ulaw(s) : alaw(s);
      for (int c = 0; c < channels; c++) out[i * channels + c] = e;
    }
    return out;
  }

  /** Reference G.711 encoders (the decoder under test is the inverse). */
  private static byte ulaw(short sample) {
    int s = sample;
    int sign = (s >> 8) & 0x80;
    if (sign != 0) s = -s;
    s = Math.min(s, 32635) + 0x84;
    int exponent = 7;
    for (int mask = 0x4000; (s & mask) == 0 && exponent > 0; mask >>= 1) exponent--;
    int mantissa = (s >> (exponent + 3)) & 0x0f;
    return (byte) ~(sign | (exponent << 4) | mantissa);
  }

  private static byte alaw(short sample) {
    int s = sample;
    int sign = s >= 0 ? 0x80 : 0;
    if (s < 0) s = -s - 1;
    s = Math.min(s, 32767) >> 3;
    int exponent;
    int mantissa;
    if (s >= 0x20) {
      exponent = 1;
      while (s >= (0x20 << exponent) && exponent < 7) exponent++;
      mantissa = (s >> exponent) & 0x0f;
    } else {
      exponent = 0;
      mantissa = s >> 1;
    }
    return (byte) ((sign | (exponent << 4) | mantissa) ^ 0x55);
  }

  public static byte[] opus(double[] tone, int rate, int channels)
      throws IOException, InterruptedException {
    return encode(
        tone, rate, channels, "out.opus", "opusenc", "--quiet", "--bitrate", "64", "IN", "OUT");
  }

  /**
   * @param lameOptions extra lame options, e.g. -t (no Xing/Info frame)
   */
  public static byte[] mp3(double[] tone, int rate, int channels, String... lameOptions)
      throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                "lame",
                "--quiet",
                "-b",
                rate < 32_000 ? "64" : "128",
                "-m",
                channels == 1 ? "m" : "s",
                "--resample",
                String.valueOf(rate / 1000.0)));
    command.addAll(List.of(lameOptions));
    command.addAll(List.of("IN", "OUT"));
    return encode(tone, rate, channels, "out.mp3", command.toArray(String[]::new));
  }

  /**
   * Runs an encoder (installed by scripts/test.sh) on a WAV of the tone; IN/OUT stand for the
   * files.
   */
  private static byte[] encode(
      double[] tone, int rate, int channels, String outName, String... command)
      throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("fixture");
    try {
      Path wav = dir.resolve("in.wav");
      Path out = dir.resolve(outName);
      Files.write(wav, wav("pcm16", tone, rate, channels));
      List<String> args = new ArrayList<>();
      for (String a : command)
        args.add(a.equals("IN") ? wav.toString() : a.equals("OUT") ? out.toString() : a);
      Process p;
      try {
        p = new ProcessBuilder(args).redirectErrorStream(true).start();
      } catch (IOException e) {
        throw new IllegalStateException(
            command[0] + " is needed to generate fixtures (scripts/test.sh installs it)", e);
      }
      if (p.waitFor() != 0)
        throw new IllegalStateException(
            command[0] + " failed: " + new String(p.getInputStream().readAllBytes()));
      return Files.readAllBytes(out);
    } finally {
      try (var files = Files.list(dir)) {
        for (Path p : files.toList()) Files.deleteIfExists(p);
      }
      Files.deleteIfExists(dir);
    }
  }
}
