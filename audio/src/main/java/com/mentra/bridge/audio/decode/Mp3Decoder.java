package com.mentra.bridge.audio.decode;

import java.io.IOException;
import java.io.InputStream;
import javazoom.jl.decoder.Bitstream;
import javazoom.jl.decoder.BitstreamException;
import javazoom.jl.decoder.Decoder;
import javazoom.jl.decoder.Header;
import javazoom.jl.decoder.SampleBuffer;

/**
 * MPEG-1/2/2.5 layer III through JLayer (pure Java, so a hostile file cannot corrupt memory); ID3v2
 * tags are skipped by its bitstream reader. Decodes frame by frame as bytes arrive. Exceptions
 * from the decoder become {@link DecodeException}s naming the position. Not thread-safe.
 */
final class Mp3Decoder implements DecodedAudioStream {
  /** Frames that may fail to decode in a row before the file counts as corrupt. */
  private static final int MAX_BAD_FRAMES = 8;

  private final Bitstream bitstream;
  private final Decoder decoder = new Decoder();
  private final int sampleRate;
  private final int channels;
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

  private Mp3Decoder(Bitstream bitstream, Header first, GaplessInfo gapless) {
    this.bitstream = bitstream;
    this.first = first;
    this.skip = gapless == null ? 0 : gapless.encoderDelay() + GaplessInfo.DECODER_DELAY;
    this.holdback = gapless == null ? 0 : Math.max(0, gapless.padding() - GaplessInfo.DECODER_DELAY);
    this.sampleRate = first.frequency();
    this.channels = first.mode() == Header.SINGLE_CHANNEL ? 1 : 2;
  }

  static Mp3Decoder open(java.io.BufferedInputStream in) throws IOException {
    GaplessInfo gapless = GaplessInfo.peek(in);
    Bitstream bitstream = new Bitstream(in);
    Header header;
    try {
      header = bitstream.readFrame();
      if (gapless != null && header != null) {
        // The Xing/Info frame carries no audio: skip it.
        bitstream.closeFrame();
        header = bitstream.readFrame();
      }
    } catch (BitstreamException | RuntimeException e) {
      throw new DecodeException("not a readable MP3 stream: " + e.getMessage(), e);
    }
    if (header == null) throw new DecodeException("no MP3 frame found");
    if (header.layer() != 3) throw new UnsupportedFormatException("MPEG layer " + header.layer() + " audio is not supported (layer III only)");
    return new Mp3Decoder(bitstream, header, gapless);
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
      pendingLength = Math.max(0, pendingLength - held); // the held-back samples are the codec's padding
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
        throw new DecodeException("MP3 stream broken at " + positionMs() + " ms: " + e.getMessage(), e);
      }
      if (header == null) {
        ended = true;
        return false;
      }
      try {
        SampleBuffer output = (SampleBuffer) decoder.decodeFrame(header, bitstream);
        framesDecoded++;
        if (header.frequency() != sampleRate) {
          throw new DecodeException("MP3 sample rate changes mid-stream at " + positionMs() + " ms");
        }
        short[] samples = output.getBuffer();
        int outChannels = output.getChannelCount();
        int frames = output.getBufferLength() / outChannels;
        int from = (int) Math.min(frames, skip);
        skip -= from;
        compact(frames - from);
        for (int f = from; f < frames; f++) {
          // A mono frame in a stereo stream (or the reverse) is adapted to the stream's layout.
          for (int c = 0; c < channels; c++) pending[pendingLength++] = samples[f * outChannels + Math.min(c, outChannels - 1)];
        }
        return true;
      } catch (DecodeException e) {
        throw e;
      } catch (Exception | StackOverflowError e) {
        if (++bad > MAX_BAD_FRAMES) {
          throw new DecodeException("MP3 decode error at " + positionMs() + " ms (frame " + framesDecoded + "): " + e, e);
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
    if (needed > pending.length) pending = java.util.Arrays.copyOf(pending, Math.max(needed, pending.length * 2));
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
