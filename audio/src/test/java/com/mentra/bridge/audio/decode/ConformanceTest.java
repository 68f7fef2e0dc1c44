package com.mentra.bridge.audio.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.mentra.testing.Spectrum;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every supported encoding at 8, 16, 22.05, 44.1 and 48 kHz, mono and stereo, generated here
 * (MP3 by the lame encoder, which scripts/test.sh installs): decoded duration within 10 ms and
 * tone frequency within 1 Hz.
 */
class ConformanceTest {
  private static final int[] RATES = {8_000, 16_000, 22_050, 44_100, 48_000};
  private static final double SECONDS = 1.5;

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    String[] formats = {"wav-pcm8", "wav-pcm16", "wav-pcm24", "wav-pcm32", "wav-float32", "wav-mulaw", "wav-alaw", "wav-extensible", "l16", "mp3", "ogg-opus"};
    for (String format : formats) {
      for (int rate : RATES) {
        for (int channels = 1; channels <= 2; channels++) all.add(Arguments.of(format, rate, channels));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} {1} Hz x{2}")
  @MethodSource("cases")
  void decodesToTheRightDurationAndPitch(String format, int rate, int channels) throws Exception {
    double frequency = Math.min(440 + rate / 100.0, rate / 4.0);
    int frames = (int) (rate * SECONDS);
    double[] tone = new double[frames];
    for (int i = 0; i < frames; i++) tone[i] = 0.4 * Math.sin(2 * Math.PI * frequency * i / rate);

    byte[] bytes;
    String contentType = null;
    switch (format) {
      case "l16" -> {
        bytes = pcm(tone, channels, 2, true, false);
        contentType = "audio/L16;rate=" + rate + ";channels=" + channels;
      }
      case "mp3" -> bytes = mp3(tone, rate, channels);
      case "ogg-opus" -> bytes = opus(tone, rate, channels);
      default -> bytes = wav(format.substring(4), tone, rate, channels);
    }
    short[] decoded;
    int decodedRate;
    int decodedChannels;
    try (DecodedAudioStream stream = AudioDecoders.open(new ByteArrayInputStream(bytes), contentType, "fixture")) {
      decodedRate = stream.sampleRate();
      decodedChannels = stream.channels();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      short[] buffer = new short[1024 * decodedChannels];
      int n;
      while ((n = stream.read(buffer)) >= 0) {
        for (int i = 0; i < n; i++) { // channel 0 only
          out.write(buffer[i * decodedChannels] & 0xff);
          out.write(buffer[i * decodedChannels] >> 8);
        }
      }
      byte[] raw = out.toByteArray();
      decoded = new short[raw.length / 2];
      ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(decoded);
    }
    double durationMs = decoded.length * 1000.0 / decodedRate;
    double measured = Spectrum.dominantFrequency(Spectrum.slice(decoded, decoded.length / 10, decoded.length * 9 / 10), decodedRate);
    assertThat(decodedRate).isEqualTo(format.equals("ogg-opus") ? 48_000 : rate); // Opus always decodes at 48 kHz
    assertThat(decodedChannels).isEqualTo(channels);
    assertThat(durationMs).as("duration").isCloseTo(SECONDS * 1000, within(10.0));
    assertThat(measured).as("frequency").isCloseTo(frequency, within(1.0));
  }

  private static byte[] wav(String encoding, double[] tone, int rate, int channels) {
    int format = switch (encoding) {
      case "float32" -> 3;
      case "mulaw" -> 7;
      case "alaw" -> 6;
      default -> 1;
    };
    int bits = switch (encoding) {
      case "pcm8", "mulaw", "alaw" -> 8;
      case "pcm24" -> 24;
      case "pcm32", "float32" -> 32;
      default -> 16;
    };
    boolean extensible = encoding.equals("extensible");
    byte[] data = switch (encoding) {
      case "pcm8" -> pcm8(tone, channels);
      case "mulaw" -> g711(tone, channels, true);
      case "alaw" -> g711(tone, channels, false);
      case "float32" -> pcm(tone, channels, 4, false, true);
      default -> pcm(tone, channels, bits / 8, false, false);
    };
    int fmtSize = extensible ? 40 : 16;
    ByteBuffer b = ByteBuffer.allocate(12 + 8 + fmtSize + 8 + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes()).putInt(4 + 8 + fmtSize + 8 + data.length).put("WAVE".getBytes());
    b.put("fmt ".getBytes()).putInt(fmtSize).putShort((short) (extensible ? 0xFFFE : format)).putShort((short) channels)
        .putInt(rate).putInt(rate * channels * bits / 8).putShort((short) (channels * bits / 8)).putShort((short) bits);
    if (extensible) {
      b.putShort((short) 22).putShort((short) bits).putInt(channels == 1 ? 4 : 3);
      // KSDATAFORMAT_SUBTYPE_PCM: 00000001-0000-0010-8000-00aa00389b71
      b.putInt(1).putShort((short) 0).putShort((short) 0x10).put(new byte[] {(byte) 0x80, 0, 0, (byte) 0xaa, 0, 0x38, (byte) 0x9b, 0x71});
    }
    b.put("data".getBytes()).putInt(data.length).put(data);
    return b.array();
  }

  private static byte[] pcm(double[] tone, int channels, int bytesPerSample, boolean bigEndian, boolean asFloat) {
    ByteBuffer b = ByteBuffer.allocate(tone.length * channels * bytesPerSample).order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
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
    for (int i = 0; i < tone.length; i++) for (int c = 0; c < channels; c++) out[i * channels + c] = (byte) (Math.round(tone[i] * 127) + 128);
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

  private static byte[] opus(double[] tone, int rate, int channels) throws IOException, InterruptedException {
    return encode(tone, rate, channels, "out.opus", "opusenc", "--quiet", "--bitrate", "64", "IN", "OUT");
  }

  private static byte[] mp3(double[] tone, int rate, int channels) throws IOException, InterruptedException {
    return encode(tone, rate, channels, "out.mp3", "lame", "--quiet", "-b", rate < 32_000 ? "64" : "128", "-m", channels == 1 ? "m" : "s",
        "--resample", String.valueOf(rate / 1000.0), "IN", "OUT");
  }

  /** Runs an encoder (installed by scripts/test.sh) on a WAV of the tone; IN/OUT stand for the files. */
  private static byte[] encode(double[] tone, int rate, int channels, String outName, String... command) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("fixture");
    try {
      Path wav = dir.resolve("in.wav");
      Path out = dir.resolve(outName);
      Files.write(wav, wav("pcm16", tone, rate, channels));
      List<String> args = new ArrayList<>();
      for (String a : command) args.add(a.equals("IN") ? wav.toString() : a.equals("OUT") ? out.toString() : a);
      Process p;
      try {
        p = new ProcessBuilder(args).redirectErrorStream(true).start();
      } catch (IOException e) {
        throw new IllegalStateException(command[0] + " is needed to generate fixtures (scripts/test.sh installs it)", e);
      }
      if (p.waitFor() != 0) throw new IllegalStateException(command[0] + " failed: " + new String(p.getInputStream().readAllBytes()));
      return Files.readAllBytes(out);
    } finally {
      try (var files = Files.list(dir)) {
        for (Path p : files.toList()) Files.deleteIfExists(p);
      }
      Files.deleteIfExists(dir);
    }
  }
}
