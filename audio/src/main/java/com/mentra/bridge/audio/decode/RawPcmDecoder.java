package com.mentra.bridge.audio.decode;

import java.io.IOException;
import java.io.InputStream;

/**
 * Raw 16-bit PCM as {@code audio/L16;rate=...;channels=...}: big-endian, as RFC 2586 defines. Its
 * duration is known only from the body's length. Not thread-safe.
 */
final class RawPcmDecoder implements DecodedAudioStream {
  private final InputStream in;
  private final int sampleRate;
  private final int channels;
  private final long declaredMs;
  private byte[] scratch = new byte[0];

  /**
   * @param contentLength the body's length in bytes, or -1 when unknown
   */
  RawPcmDecoder(InputStream in, int sampleRate, int channels, long contentLength)
      throws UnsupportedFormatException {
    if (sampleRate < 1_000 || sampleRate > 384_000)
      throw new UnsupportedFormatException("audio/L16 rate " + sampleRate + " is not supported");
    if (channels < 1 || channels > 8)
      throw new UnsupportedFormatException(
          "audio/L16 with " + channels + " channels is not supported");
    this.in = in;
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.declaredMs = DeclaredDuration.ms(contentLength / (2L * channels), sampleRate);
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
    int frameBytes = 2 * channels;
    int want = buffer.length / channels * frameBytes;
    if (scratch.length < want) scratch = new byte[want];
    int got = in.readNBytes(scratch, 0, want);
    int frames = got / frameBytes;
    if (frames == 0) return -1;
    for (int i = 0; i < frames * channels; i++)
      buffer[i] = (short) ((scratch[2 * i] << 8) | (scratch[2 * i + 1] & 0xff));
    return frames;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
