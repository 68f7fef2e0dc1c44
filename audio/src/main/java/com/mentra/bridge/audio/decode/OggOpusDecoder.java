package com.mentra.bridge.audio.decode;

import io.github.jaredmdobson.concentus.OpusDecoder;
import io.github.jaredmdobson.concentus.OpusException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Ogg Opus (RFC 7845) through Concentus, a pure-Java port of libopus, so a hostile file cannot
 * corrupt memory. Output is 48 kHz (Opus's rate), mono or stereo; the header's pre-skip is dropped
 * and the last page's granule position trims the end, so durations are exact. Not thread-safe.
 */
final class OggOpusDecoder implements DecodedAudioStream {
  private static final int RATE = 48_000;
  private static final int MAX_FRAME = 5_760; // 120 ms at 48 kHz

  private final OggPacketReader ogg;
  private final OpusDecoder decoder;
  private final int channels;
  private long skip;
  private final int preSkip;
  private long emitted;
  private long limit = Long.MAX_VALUE;
  private final short[] pcm;
  private int pcmOffset;
  private int pcmLength;
  private boolean ended;

  private OggOpusDecoder(OggPacketReader ogg, int channels, int preSkip) throws DecodeException {
    this.ogg = ogg;
    this.channels = channels;
    this.preSkip = preSkip;
    this.skip = preSkip;
    this.pcm = new short[MAX_FRAME * channels];
    try {
      this.decoder = new OpusDecoder(RATE, channels);
    } catch (OpusException e) {
      throw new DecodeException("Opus decoder refused the stream: " + e.getMessage(), e);
    }
  }

  static OggOpusDecoder open(InputStream in) throws IOException {
    OggPacketReader ogg = new OggPacketReader(in);
    byte[] head = ogg.next();
    if (head == null
        || head.length < 19
        || !new String(head, 0, 8, StandardCharsets.US_ASCII).equals("OpusHead")) {
      throw new UnsupportedFormatException(
          "Ogg stream is not Opus (Vorbis and other Ogg codecs are not supported)");
    }
    int channels = head[9] & 0xff;
    int preSkip = (head[10] & 0xff) | (head[11] & 0xff) << 8;
    int mapping = head[18] & 0xff;
    if (channels < 1 || channels > 2 || mapping != 0) {
      throw new UnsupportedFormatException(
          "Opus with " + channels + " channels (mapping family " + mapping + ") is not supported");
    }
    byte[] tags = ogg.next();
    if (tags == null
        || tags.length < 8
        || !new String(tags, 0, 8, StandardCharsets.US_ASCII).equals("OpusTags")) {
      throw new DecodeException("Ogg Opus stream has no OpusTags header");
    }
    return new OggOpusDecoder(ogg, channels, preSkip);
  }

  @Override
  public int sampleRate() {
    return RATE;
  }

  @Override
  public int channels() {
    return channels;
  }

  /**
   * Always 0: Ogg Opus declares its length only in the last page's granule position, which a stream
   * being played as it arrives reaches at the end (finding it early would take a second, ranged
   * request).
   */
  @Override
  public long declaredDurationMs() {
    return 0;
  }

  @Override
  public int read(short[] buffer) throws IOException {
    while (pcmLength == 0) {
      if (ended || !decodeNext()) {
        ended = true;
        return -1;
      }
    }
    int frames = Math.min(buffer.length / channels, pcmLength / channels);
    frames = (int) Math.min(frames, limit - emitted);
    if (frames <= 0) {
      ended = true;
      return -1;
    }
    System.arraycopy(pcm, pcmOffset, buffer, 0, frames * channels);
    pcmOffset += frames * channels;
    pcmLength -= frames * channels;
    emitted += frames;
    return frames;
  }

  private boolean decodeNext() throws IOException {
    byte[] packet = ogg.next();
    if (packet == null) return false;
    if (ogg.endOfStream() && ogg.granule() >= 0) limit = Math.max(0, ogg.granule() - preSkip);
    int frames;
    try {
      frames = decoder.decode(packet, 0, packet.length, pcm, 0, MAX_FRAME, false);
    } catch (OpusException | RuntimeException | StackOverflowError | AssertionError e) {
      // Concentus checks its invariants with assert (on in tests, off in production): a hostile
      // packet that trips one is this stream's decode error, as any other.
      throw new DecodeException("Opus decode error at " + emitted * 1000 / RATE + " ms: " + e, e);
    }
    int from = (int) Math.min(frames, skip);
    skip -= from;
    pcmOffset = from * channels;
    pcmLength = (frames - from) * channels;
    return true;
  }

  @Override
  public void close() throws IOException {
    // The input stream belongs to the caller of AudioDecoders.open, who closes it.
  }
}
