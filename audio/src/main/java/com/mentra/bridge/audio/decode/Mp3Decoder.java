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

  private Mp3Decoder(Bitstream bitstream, Header first) {
    this.bitstream = bitstream;
    this.first = first;
    this.sampleRate = first.frequency();
    this.channels = first.mode() == Header.SINGLE_CHANNEL ? 1 : 2;
  }

  static Mp3Decoder open(InputStream in) throws IOException {
    Bitstream bitstream = new Bitstream(in);
    Header header;
    try {
      header = bitstream.readFrame();
    } catch (BitstreamException | RuntimeException e) {
      throw new DecodeException("not a readable MP3 stream: " + e.getMessage(), e);
    }
    if (header == null) throw new DecodeException("no MP3 frame found");
    if (header.layer() != 3) throw new UnsupportedFormatException("MPEG layer " + header.layer() + " audio is not supported (layer III only)");
    return new Mp3Decoder(bitstream, header);
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
    int written = 0;
    while (written < wanted) {
      if (pendingLength == 0 && !decodeNextFrame()) break;
      int n = Math.min(wanted - written, pendingLength);
      System.arraycopy(pending, pendingOffset, buffer, written, n);
      pendingOffset += n;
      pendingLength -= n;
      written += n;
    }
    if (written == 0) return -1;
    samplesOut += written / channels;
    return written / channels;
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
        int length = output.getBufferLength();
        int outChannels = output.getChannelCount();
        if (outChannels == channels) {
          if (pending.length < length) pending = new short[length];
          System.arraycopy(samples, 0, pending, 0, length);
          pendingLength = length;
        } else {
          // A mono frame in a stereo stream (or the reverse): adapt to the stream's layout.
          int frames = length / outChannels;
          int needed = frames * channels;
          if (pending.length < needed) pending = new short[needed];
          for (int f = 0; f < frames; f++) {
            for (int c = 0; c < channels; c++) pending[f * channels + c] = samples[f * outChannels + Math.min(c, outChannels - 1)];
          }
          pendingLength = needed;
        }
        pendingOffset = 0;
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
