package com.mentra.bridge.audio.decode;

import com.mentra.bridge.dsp.Pcm16;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Streaming RIFF/WAVE decoder: PCM 8/16/24/32-bit, 32-bit float, mu-law, A-law and
 * WAVE_FORMAT_EXTENSIBLE with those subformats. Reads as it goes, so playback starts before the
 * file has arrived; a header that claims more data than arrives ends the stream where the bytes
 * end, and nothing is allocated from header sizes. The declared duration is the data chunk's size
 * or, for a streamed WAV that leaves it unset, the Content-Length less the header. Not thread-safe.
 */
final class WavDecoder implements DecodedAudioStream {
  private static final int PCM = 1;
  private static final int FLOAT = 3;
  private static final int ALAW = 6;
  private static final int MULAW = 7;
  private static final int EXTENSIBLE = 0xFFFE;
  private static final int MAX_CHANNELS = 8;

  private final DataInputStream in;
  private final int format;
  private final int channels;
  private final int sampleRate;
  private final int bytesPerSample;

  /**
   * Data bytes the header declares; -1 when it does not say (0 or 0xFFFFFFFF, as streamed WAVs
   * write).
   */
  private final long declared;

  private final long declaredMs;
  private long remaining;
  private long position;
  private byte[] scratch = new byte[0];

  /**
   * @param bodyDataBytes the bytes after the header by the Content-Length, or -1 when unknown
   */
  private WavDecoder(
      DataInputStream in,
      int format,
      int channels,
      int sampleRate,
      int bitsPerSample,
      long dataBytes,
      long bodyDataBytes) {
    this.in = in;
    this.format = format;
    this.channels = channels;
    this.sampleRate = sampleRate;
    this.bytesPerSample = bitsPerSample / 8;
    boolean unknown = dataBytes == 0 || dataBytes == 0xFFFFFFFFL;
    this.declared = unknown ? -1 : dataBytes;
    this.remaining = unknown ? Long.MAX_VALUE : dataBytes;
    long audioBytes = unknown ? bodyDataBytes : dataBytes;
    this.declaredMs =
        DeclaredDuration.ms(audioBytes / ((long) bytesPerSample * channels), sampleRate);
  }

  /**
   * Parses the header up to the data chunk; the stream is positioned after "RIFF".
   *
   * @param contentLength the whole file's length in bytes, or -1 when unknown
   */
  static WavDecoder open(InputStream raw, long contentLength) throws IOException {
    DataInputStream in = new DataInputStream(raw);
    in.readInt(); // RIFF size: often wrong in streamed files, so not trusted
    if (readTag(in) != 0x45564157) throw new UnsupportedFormatException("RIFF file is not WAVE");
    int format = -1;
    int channels = 0;
    int rate = 0;
    int bits = 0;
    long headerBytes = 12; // "RIFF", its size, "WAVE"
    for (int chunks = 0; chunks < 64; chunks++) {
      int tag = readTag(in);
      long size = Integer.toUnsignedLong(Integer.reverseBytes(in.readInt()));
      headerBytes += 8;
      if (tag == 0x20746d66) { // "fmt "
        if (size < 16 || size > 1024)
          throw new DecodeException("WAV fmt chunk has an invalid size " + size);
        byte[] fmt = in.readNBytes((int) size);
        if (fmt.length < size) throw new DecodeException("WAV header truncated");
        format = u16(fmt, 0);
        channels = u16(fmt, 2);
        rate = (int) u32(fmt, 4);
        bits = u16(fmt, 14);
        if (format == EXTENSIBLE) {
          if (size < 40) throw new DecodeException("WAVE_FORMAT_EXTENSIBLE header too short");
          format = u16(fmt, 24); // first two bytes of the subformat GUID
        }
        if ((size & 1) == 1) in.skipNBytes(1);
        headerBytes += size + (size & 1);
      } else if (tag == 0x61746164) { // "data"
        if (format < 0) throw new DecodeException("WAV data chunk before its fmt chunk");
        validate(format, channels, rate, bits);
        long bodyDataBytes = contentLength > headerBytes ? contentLength - headerBytes : -1;
        return new WavDecoder(in, format, channels, rate, bits, size, bodyDataBytes);
      } else {
        if (size > 16 * 1024 * 1024)
          throw new DecodeException("WAV chunk of " + size + " bytes before the audio");
        in.skipNBytes(size + (size & 1));
        headerBytes += size + (size & 1);
      }
    }
    throw new DecodeException("no data chunk in the first 64 WAV chunks");
  }

  private static void validate(int format, int channels, int rate, int bits) throws IOException {
    if (channels < 1 || channels > MAX_CHANNELS)
      throw new UnsupportedFormatException("WAV with " + channels + " channels is not supported");
    if (rate < 1_000 || rate > 384_000)
      throw new UnsupportedFormatException("WAV sample rate " + rate + " Hz is not supported");
    boolean ok =
        switch (format) {
          case PCM -> bits == 8 || bits == 16 || bits == 24 || bits == 32;
          case FLOAT -> bits == 32;
          case ALAW, MULAW -> bits == 8;
          default -> false;
        };
    if (!ok)
      throw new UnsupportedFormatException(
          "WAV format " + format + " with " + bits + " bits per sample is not supported");
  }

  @Override
  public int sampleRate() {
    return sampleRate;
  }

  @Override
  public int channels() {
    return channels;
  }

  @Override
  public long declaredDurationMs() {
    return declaredMs;
  }

  @Override
  public int read(short[] buffer) throws IOException {
    int frameBytes = bytesPerSample * channels;
    int frames = (int) Math.min(buffer.length / channels, remaining / frameBytes);
    if (frames <= 0) return -1;
    int want = frames * frameBytes;
    if (scratch.length < want) scratch = new byte[want];
    int got = in.readNBytes(scratch, 0, want);
    int whole = got / frameBytes;
    if (got < want && declared >= 0) {
      long have = declared - remaining + got;
      throw new DecodeException(
          "WAV truncated at "
              + (position + whole) * 1000 / sampleRate
              + " ms: the data ends after "
              + have
              + " of the "
              + declared
              + " bytes its header declares");
    }
    if (whole == 0) {
      remaining = 0;
      return -1;
    }
    if (got < want) remaining = 0;
    else remaining -= want;
    int samples = whole * channels;
    for (int i = 0; i < samples; i++) buffer[i] = sample(scratch, i * bytesPerSample);
    position += whole;
    return whole;
  }

  private short sample(byte[] b, int o) {
    return switch (format) {
      case PCM ->
          switch (bytesPerSample) {
            case 1 -> (short) (((b[o] & 0xff) - 128) << 8);
            case 2 -> Pcm16.read(b, o);
            // 24 and 32 bits: the top 16 bits, which are a PCM16 sample in the last two bytes.
            case 3 -> Pcm16.read(b, o + 1);
            default -> Pcm16.read(b, o + 2);
          };
      case FLOAT -> {
        float f =
            Float.intBitsToFloat(
                (b[o] & 0xff) | (b[o + 1] & 0xff) << 8 | (b[o + 2] & 0xff) << 16 | b[o + 3] << 24);
        if (Float.isNaN(f)) yield 0;
        yield (short) Math.max(-32768, Math.min(32767, Math.round(f * 32767f)));
      }
      case MULAW -> G711.ulaw(b[o]);
      default -> G711.alaw(b[o]);
    };
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  private static int readTag(DataInputStream in) throws IOException {
    try {
      return Integer.reverseBytes(in.readInt());
    } catch (EOFException e) {
      throw new DecodeException("WAV header truncated");
    }
  }

  private static int u16(byte[] b, int o) {
    return (b[o] & 0xff) | (b[o + 1] & 0xff) << 8;
  }

  private static long u32(byte[] b, int o) {
    return (b[o] & 0xffL)
        | (b[o + 1] & 0xffL) << 8
        | (b[o + 2] & 0xffL) << 16
        | (b[o + 3] & 0xffL) << 24;
  }
}
