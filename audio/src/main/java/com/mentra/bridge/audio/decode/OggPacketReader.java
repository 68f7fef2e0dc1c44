package com.mentra.bridge.audio.decode;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads the packets of the first logical stream of an Ogg file (RFC 3533) as they arrive. Pages of
 * other streams are skipped. Sizes are bounded by the format (a page body is at most 65,025 bytes)
 * and a packet by {@link #MAX_PACKET}. Not thread-safe.
 */
final class OggPacketReader {
  static final int MAX_PACKET = 256 * 1024;

  private final DataInputStream in;
  private final ByteArrayOutputStream packet = new ByteArrayOutputStream();
  private int[] lacing = new int[0];
  private int lacingIndex;
  private byte[] body = new byte[0];
  private int bodyOffset;
  private int serial = -1;
  private boolean pageLoaded;
  private long granule = -1;
  private boolean endOfStream;
  private long pages;

  OggPacketReader(InputStream in) {
    this.in = new DataInputStream(in);
  }

  /** The granule position of the page the last returned packet ended on. */
  long granule() {
    return granule;
  }

  /** Whether the last returned packet ended on the stream's final page. */
  boolean endOfStream() {
    return endOfStream && lacingIndex >= lacing.length;
  }

  /** The next complete packet, or null at the end of the stream. */
  byte[] next() throws IOException {
    packet.reset();
    while (true) {
      if (!pageLoaded || lacingIndex >= lacing.length) {
        if (endOfStream || !readPage()) return packet.size() > 0 ? packet.toByteArray() : null;
        continue;
      }
      int size = lacing[lacingIndex++];
      if (packet.size() + size > MAX_PACKET)
        throw new DecodeException("Ogg packet larger than " + MAX_PACKET + " bytes");
      packet.write(body, bodyOffset, size);
      bodyOffset += size;
      if (size < 255) return packet.toByteArray();
    }
  }

  private boolean readPage() throws IOException {
    while (true) {
      int magic;
      try {
        magic = in.readInt();
      } catch (EOFException e) {
        return false;
      }
      if (magic != 0x4f676753)
        throw new DecodeException("Ogg stream broken: no page at page " + pages);
      int version = in.readUnsignedByte();
      if (version != 0) throw new DecodeException("unsupported Ogg version " + version);
      int type = in.readUnsignedByte();
      long pageGranule = Long.reverseBytes(in.readLong());
      int pageSerial = Integer.reverseBytes(in.readInt());
      in.readInt(); // sequence number
      in.readInt(); // CRC: a transport error would also break the codec, which reports it
      int segments = in.readUnsignedByte();
      int[] table = new int[segments];
      int total = 0;
      for (int i = 0; i < segments; i++) {
        table[i] = in.readUnsignedByte();
        total += table[i];
      }
      byte[] data = in.readNBytes(total);
      if (data.length < total) throw new DecodeException("Ogg file truncated in page " + pages);
      pages++;
      if (serial == -1) serial = pageSerial;
      if (pageSerial != serial) continue; // another logical stream
      lacing = table;
      lacingIndex = 0;
      body = data;
      bodyOffset = 0;
      pageLoaded = true;
      granule = pageGranule;
      endOfStream = (type & 0x04) != 0;
      return true;
    }
  }
}
