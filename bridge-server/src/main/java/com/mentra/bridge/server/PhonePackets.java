package com.mentra.bridge.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;

/**
 * Turns the phone's PCM data packets into PCM. Current mobile apps prepend a 1-byte sequence number
 * (mod 256) to each PCM16 frame, so an odd-length packet is header + PCM; older apps send
 * headerless, even-length PCM. As in the replaced bridge, the first byte of an odd-length packet is
 * dropped. The sequence numbers also reveal lost packets (the phone sends them lossy): each gap is
 * counted. Not thread-safe: one room's data callbacks arrive one at a time.
 */
final class PhonePackets {
  private int lastSequence = -1;
  private volatile long lost; // written by one thread, read by GetStatus
  private volatile long headered;

  /**
   * The packet's PCM (whole samples only), empty when it carries none: a view of {@code packet},
   * not a copy, so the caller must own the array and never change it (a received {@link
   * com.mentra.livekit.rtc.DataPacket}'s payload is the receiver's).
   */
  ByteString pcm(byte[] packet) {
    int from = 0;
    if (packet.length % 2 == 1) {
      from = 1;
      headered++;
      countGap(packet[0] & 0xff);
    }
    int length = (packet.length - from) & ~1;
    return length == 0 ? ByteString.EMPTY : UnsafeByteOperations.unsafeWrap(packet, from, length);
  }

  private void countGap(int sequence) {
    if (lastSequence >= 0) {
      int gap = (sequence - lastSequence - 1) & 0xff;
      // A gap of more than half the sequence space is a reordering or a phone restart, not loss.
      if (gap < 128) lost += gap;
    }
    lastSequence = sequence;
  }

  /** Packets missing from the sequence so far. */
  long lost() {
    return lost;
  }

  /** Packets that carried a sequence header. */
  long headered() {
    return headered;
  }
}
