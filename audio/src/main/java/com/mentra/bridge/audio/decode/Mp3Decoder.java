package com.mentra.bridge.audio.decode;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import javazoom.jl.decoder.Bitstream;
import javazoom.jl.decoder.BitstreamException;
import javazoom.jl.decoder.Decoder;
import javazoom.jl.decoder.Header;
import javazoom.jl.decoder.SampleBuffer;

/**
 * MPEG-1/2/2.5 layer III through JLayer (pure Java, so a hostile file cannot corrupt memory).
 * Decodes frame by frame as bytes arrive. A leading Xing/Info or VBRI frame declares the duration
 * and is not played. Exceptions from the decoder become {@link DecodeException}s naming the
 * position. Not thread-safe.
 */
final class Mp3Decoder implements DecodedAudioStream {
  /** Frames that may fail to decode in a row before the file counts as corrupt. */
  private static final int MAX_BAD_FRAMES = 8;

  private final Bitstream bitstream;
  private final Decoder decoder = new Decoder();
  private final int sampleRate;
  private final int channels;
  private final long declaredMs;
  private short[] pending = new short[0];
  private int pendingOffset;
  private int pendingLength;
  private long framesDecoded;
  private long samplesOut;
  private Header first;
  private boolean ended;
  private boolean paddingDropped;

  /** Samples per channel still to drop at the start (codec delay). */
  private long skip;

  /** Samples per channel held back so the codec's padding can be dropped at the end. */
  private final int holdback;

  private Mp3Decoder(Bitstream bitstream, Header first, Mp3InfoFrame info) {
    GaplessInfo gapless = info == null ? null : info.gapless();
    this.bitstream = bitstream;
    this.first = first;
    this.declaredMs = info == null ? 0 : info.durationMs();
    this.skip = gapless == null ? 0 : gapless.encoderDelay() + GaplessInfo.DECODER_DELAY;
    this.holdback =
        gapless == null ? 0 : Math.max(0, gapless.padding() - GaplessInfo.DECODER_DELAY);
    this.sampleRate = first.frequency();
    this.channels = first.mode() == Header.SINGLE_CHANNEL ? 1 : 2;
  }

  static Mp3Decoder open(BufferedInputStream in) throws IOException {
    skipId3v2(in);
    Mp3InfoFrame info = Mp3InfoFrame.peek(in);
    Bitstream bitstream = new Bitstream(in);
    Header header;
    try {
      header = bitstream.readFrame();
      if (info != null && header != null) {
        // The Xing/Info/VBRI frame carries no audio: skip it.
        bitstream.closeFrame();
        header = bitstream.readFrame();
      }
    } catch (BitstreamException | RuntimeException e) {
      throw new DecodeException("not a readable MP3 stream: " + e.getMessage(), e);
    }
    if (header == null) throw new DecodeException("no MP3 frame found");
    if (header.layer() != 3)
      throw new UnsupportedFormatException(
          "MPEG layer " + header.layer() + " audio is not supported (layer III only)");
    return new Mp3Decoder(bitstream, header, info);
  }

  /**
   * Streams past leading ID3v2 tags. JLayer would allocate the size a tag claims (up to 256 MB from
   * 10 hostile bytes) and may read it short; and the info frame is looked for right after.
   */
  private static void skipId3v2(BufferedInputStream in) throws IOException {
    for (int tags = 0; tags < 4; tags++) { // some files carry more than one
      in.mark(10);
      byte[] h = in.readNBytes(10);
      if (h.length < 10 || h[0] != 'I' || h[1] != 'D' || h[2] != '3') {
        in.reset();
        return;
      }
      long size = (h[6] & 0x7f) << 21 | (h[7] & 0x7f) << 14 | (h[8] & 0x7f) << 7 | (h[9] & 0x7f);
      if ((h[5] & 0x10) != 0) size += 10; // footer
      try {
        in.skipNBytes(size);
      } catch (EOFException e) {
        throw new DecodeException("no MP3 frame found: the file ends inside its ID3 tag");
      }
    }
  }

  @Override
  public long declaredDurationMs() {
    return declaredMs;
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
  public int read(short[] buffer) throws IOException {
    int wanted = buffer.length / channels * channels;
    int held = holdback * channels;
    // Decode until enough is buffered beyond what must be held back for the end padding.
    while (pendingLength - held < wanted && decodeNextFrame()) {
      // decodeNextFrame appends to pending
    }
    if (ended && !paddingDropped) {
      pendingLength =
          Math.max(0, pendingLength - held); // the held-back samples are the codec's padding
      paddingDropped = true;
    }
    int available = ended ? pendingLength : Math.max(0, pendingLength - held);
    int n = Math.min(wanted, available);
    if (n == 0) return ended ? -1 : 0;
    System.arraycopy(pending, pendingOffset, buffer, 0, n);
    pendingOffset += n;
    pendingLength -= n;
    samplesOut += n / channels;
    return n / channels;
  }

  private boolean decodeNextFrame() throws IOException {
    if (ended) return false;
    int bad = 0;
    while (true) {
      Header header;
      try {
        header = first != null ? first : bitstream.readFrame();
        first = null;
      } catch (BitstreamException | RuntimeException e) {
        throw new DecodeException(
            "MP3 stream broken at " + positionMs() + " ms: " + e.getMessage(), e);
      }
      if (header == null) {
        ended = true;
        return false;
      }
      try {
        SampleBuffer output = (SampleBuffer) decoder.decodeFrame(header, bitstream);
        framesDecoded++;
        if (header.frequency() != sampleRate) {
          throw new DecodeException(
              "MP3 sample rate changes mid-stream at " + positionMs() + " ms");
        }
        short[] samples = output.getBuffer();
        int outChannels = output.getChannelCount();
        int frames = output.getBufferLength() / outChannels;
        int from = (int) Math.min(frames, skip);
        skip -= from;
        compact(frames - from);
        for (int f = from; f < frames; f++) {
          // A mono frame in a stereo stream (or the reverse) is adapted to the stream's layout.
          for (int c = 0; c < channels; c++)
            pending[pendingLength++] = samples[f * outChannels + Math.min(c, outChannels - 1)];
        }
        return true;
      } catch (DecodeException e) {
        throw e;
      } catch (Exception | StackOverflowError e) {
        if (++bad > MAX_BAD_FRAMES) {
          throw new DecodeException(
              "MP3 decode error at " + positionMs() + " ms (frame " + framesDecoded + "): " + e, e);
        }
      } finally {
        bitstream.closeFrame();
      }
    }
  }

  /** Moves unread samples to the front and makes room for {@code frames} more. */
  private void compact(int frames) {
    if (pendingOffset > 0) {
      System.arraycopy(pending, pendingOffset, pending, 0, pendingLength);
      pendingOffset = 0;
    }
    int needed = pendingLength + frames * channels;
    if (needed > pending.length)
      pending = java.util.Arrays.copyOf(pending, Math.max(needed, pending.length * 2));
  }

  private long positionMs() {
    return samplesOut * 1000 / sampleRate;
  }

  @Override
  public void close() throws IOException {
    try {
      bitstream.close();
    } catch (BitstreamException e) {
      throw new IOException(e);
    }
  }
}
