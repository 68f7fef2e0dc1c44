package com.mentra.livekit.rtc;

import com.mentra.livekit.rtc.internal.PeerTransport;
import dev.onvoid.webrtc.RTCDataChannel;
import dev.onvoid.webrtc.RTCDataChannelBuffer;
import dev.onvoid.webrtc.RTCDataChannelInit;
import dev.onvoid.webrtc.RTCDataChannelObserver;
import dev.onvoid.webrtc.RTCDataChannelState;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends user data packets on the publisher's two data channels (LiveKit's Rust SDK: dc_sender):
 * packets wait in a bounded queue while the room reconnects or a channel's send buffer is full, and
 * go out in order as the channels open and drain. A full send buffer drops lossy packets (their
 * futures fail) and holds reliable ones. Each join opens new channels; the queue survives.
 *
 * <p>Confined to the room's executor, except the channel observers, which run on libwebrtc's
 * threads and only read a volatile flag before handing a flush to the room. The queue checks it:
 * every access from another thread throws.
 */
final class DataChannelSender {
  private static final Logger log = LoggerFactory.getLogger(DataChannelSender.class);
  static final String RELIABLE_LABEL = "_reliable";
  static final String LOSSY_LABEL = "_lossy";
  private static final int MAX_PENDING = 1024;
  private static final long MAX_BUFFERED_BYTES = 8L * 1024 * 1024;

  /** An encoded data packet and its caller's future. */
  record Packet(DataKind kind, byte[] bytes, CompletableFuture<Void> done) {}

  private final RoomExecutor room;
  private final PendingQueue pending;

  /** Whether pending holds anything: the one fact libwebrtc's threads may read. */
  private volatile boolean hasPending;

  private RTCDataChannel reliable;
  private RTCDataChannel lossy;

  /**
   * @param room the room's executor: the queue is confined to it, and libwebrtc's threads hand it
   *     flushes
   */
  DataChannelSender(RoomExecutor room) {
    this.room = room;
    this.pending = new PendingQueue(room);
  }

  /** Opens this join's outbound channels on {@code publisher}. */
  void open(PeerTransport publisher) {
    RTCDataChannelInit ordered = new RTCDataChannelInit();
    ordered.ordered = true;
    reliable = publisher.createDataChannel(RELIABLE_LABEL, ordered);
    RTCDataChannelInit unordered = new RTCDataChannelInit();
    unordered.ordered = false;
    unordered.maxRetransmits = 0;
    lossy = publisher.createDataChannel(LOSSY_LABEL, unordered);
    reliable.registerObserver(new Observer());
    lossy.registerObserver(new Observer());
  }

  /** Sends now when possible, else queues (bounded: a full queue fails the packet's future). */
  void send(Packet packet) {
    if (pending.isEmpty() && trySend(packet)) return;
    if (pending.size() >= MAX_PENDING) {
      packet
          .done()
          .completeExceptionally(
              new IllegalStateException(
                  "data send queue full ("
                      + MAX_PENDING
                      + " packets) while the room is not connected"));
      return;
    }
    pending.add(packet);
    hasPending = true;
  }

  /** Whether packets wait (for the channels to open or drain). */
  boolean hasPending() {
    return hasPending;
  }

  /** Sends what the channels take now, in order. */
  void flush() {
    while (!pending.isEmpty() && trySend(pending.peek())) pending.poll();
    hasPending = !pending.isEmpty();
  }

  /** Fails every queued packet (the room gave up or closed). */
  void fail(String reason) {
    for (Packet packet = pending.poll(); packet != null; packet = pending.poll())
      packet.done().completeExceptionally(new IllegalStateException(reason));
    hasPending = false;
  }

  /** Disposes this join's channels; queued packets wait for the next join. */
  void closeChannels() {
    dispose(reliable);
    dispose(lossy);
    reliable = null;
    lossy = null;
  }

  static void dispose(RTCDataChannel channel) {
    if (channel == null) return;
    try {
      channel.unregisterObserver();
      channel.close();
      channel.dispose();
    } catch (RuntimeException e) {
      log.debug("disposing data channel failed: {}", e.toString());
    }
  }

  private boolean trySend(Packet packet) {
    RTCDataChannel channel = packet.kind() == DataKind.RELIABLE ? reliable : lossy;
    if (channel == null || channel.getState() != RTCDataChannelState.OPEN) return false;
    if (channel.getBufferedAmount() > MAX_BUFFERED_BYTES) {
      if (packet.kind() == DataKind.LOSSY) {
        packet
            .done()
            .completeExceptionally(
                new IllegalStateException("lossy data dropped: send buffer full"));
        return true;
      }
      return false;
    }
    try {
      ByteBuffer buffer = ByteBuffer.allocateDirect(packet.bytes().length);
      buffer.put(packet.bytes()).flip();
      channel.send(new RTCDataChannelBuffer(buffer, true));
      packet.done().complete(null);
    } catch (Exception e) {
      packet.done().completeExceptionally(e);
    }
    return true;
  }

  /**
   * The waiting packets, confined to the room's executor: every access checks that it runs there,
   * so a read from one of libwebrtc's threads fails at once instead of racing the room.
   */
  private static final class PendingQueue {
    private final RoomExecutor room;
    private final ArrayDeque<Packet> packets = new ArrayDeque<>();

    PendingQueue(RoomExecutor room) {
      this.room = room;
    }

    boolean isEmpty() {
      room.checkCurrent();
      return packets.isEmpty();
    }

    int size() {
      room.checkCurrent();
      return packets.size();
    }

    void add(Packet packet) {
      room.checkCurrent();
      packets.add(packet);
    }

    Packet peek() {
      room.checkCurrent();
      return packets.peek();
    }

    Packet poll() {
      room.checkCurrent();
      return packets.poll();
    }
  }

  /** A channel's observer: runs on libwebrtc's threads, and only hands flushes to the room. */
  final class Observer implements RTCDataChannelObserver {
    @Override
    public void onBufferedAmountChange(long previousAmount) {
      // The queue is the room's: this thread only reads the flag the room keeps.
      if (hasPending) room.submit(DataChannelSender.this::flush);
    }

    @Override
    public void onStateChange() {
      room.submit(DataChannelSender.this::flush);
    }

    @Override
    public void onMessage(RTCDataChannelBuffer buffer) {}
  }
}
