package com.mentra.bridge.server;

import com.mentra.bridge.api.AudioChunk;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Room-to-client audio for one session: a bounded queue in front of the client's StreamAudio
 * response stream. Offering never blocks: when the queue is full (by count, or by bytes: {@value
 * #BYTES_PER_SLOT} per slot, since a room participant chooses its data packets' size) the oldest
 * chunk is dropped and counted. Chunks go out only while gRPC flow control says the client is
 * ready, and the queue drains again when the call reports it is ready ({@link #drain()}). With no
 * stream attached, chunks wait (bounded). Thread-safe; all calls into the stream are serialized on
 * this object's lock.
 */
final class DownlinkQueue {
  /**
   * The byte budget per chunk slot: five real phone packets (3,200 bytes each). The queue's bytes
   * stay within capacity times this (plus one chunk), whatever size the room's packets are: a data
   * packet may be up to libwebrtc's 256 KiB, so 200 of them were 51 MB held for a slow client.
   */
  static final int BYTES_PER_SLOT = 16 * 1024;

  private final int capacity;
  private final long maxBytes;
  private long queuedBytes;

  /** A chunk and when its audio reached the bridge ({@link System#nanoTime()}). */
  private record Queued(AudioChunk chunk, long arrivedNanos) {}

  private final ArrayDeque<Queued> queue = new ArrayDeque<>();
  private final LatencyObserver latency;
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong sentBytes = new AtomicLong();
  private final Runnable onDropped;
  private ServerCallStreamObserver<AudioChunk> stream;

  /** Told how long each sent chunk spent in the bridge, from arrival to the call's onNext. */
  @FunctionalInterface
  interface LatencyObserver {
    void sent(AudioChunk.Source source, long nanos);
  }

  /**
   * @param onDropped told of each dropped chunk (process-wide metrics); must not block
   * @param latency told of each sent chunk's time in the bridge; must not block
   */
  DownlinkQueue(int capacity, Runnable onDropped, LatencyObserver latency) {
    this.capacity = capacity;
    this.maxBytes = (long) capacity * BYTES_PER_SLOT;
    this.onDropped = onDropped;
    this.latency = latency;
  }

  /**
   * @param arrivedNanos when the chunk's audio reached the bridge ({@link System#nanoTime()})
   */
  void offer(AudioChunk chunk, long arrivedNanos) {
    int bytes = chunk.getPcmData().size();
    synchronized (this) {
      while (!queue.isEmpty() && (queue.size() >= capacity || queuedBytes + bytes > maxBytes)) {
        queuedBytes -= queue.poll().chunk().getPcmData().size();
        dropped.incrementAndGet();
        onDropped.run();
      }
      queue.add(new Queued(chunk, arrivedNanos));
      queuedBytes += bytes;
      drainLocked();
    }
  }

  /**
   * Sends to {@code newStream} from now on. A previous stream is only forgotten, not ended: it
   * belongs to its StreamAudio call.
   */
  void attach(ServerCallStreamObserver<AudioChunk> newStream) {
    synchronized (this) {
      stream = newStream;
      drainLocked();
    }
  }

  /** Forgets {@code oldStream} if it is the current one (the client went away). */
  void detach(ServerCallStreamObserver<AudioChunk> oldStream) {
    synchronized (this) {
      if (stream == oldStream) stream = null;
    }
  }

  /**
   * Forgets the stream and the queued chunks. The stream itself stays open: it belongs to the
   * StreamAudio call, which a re-join attaches to the next session and LeaveRoom ends.
   */
  void close() {
    synchronized (this) {
      stream = null;
      queue.clear();
      queuedBytes = 0;
    }
  }

  boolean hasStream() {
    synchronized (this) {
      return stream != null;
    }
  }

  long dropped() {
    return dropped.get();
  }

  long sent() {
    return sent.get();
  }

  long sentBytes() {
    return sentBytes.get();
  }

  int queued() {
    synchronized (this) {
      return queue.size();
    }
  }

  long queuedBytes() {
    synchronized (this) {
      return queuedBytes;
    }
  }

  /** Sends what the stream can take now; the stream's on-ready callback calls this. */
  void drain() {
    synchronized (this) {
      drainLocked();
    }
  }

  private void drainLocked() {
    if (stream == null) return;
    try {
      while (!queue.isEmpty() && stream.isReady() && !stream.isCancelled()) {
        Queued next = queue.poll();
        queuedBytes -= next.chunk().getPcmData().size();
        // The observer's own monitor serializes this with StreamAudioCall's onCompleted/onError.
        synchronized (stream) {
          stream.onNext(next.chunk());
        }
        latency.sent(next.chunk().getSource(), System.nanoTime() - next.arrivedNanos());
        sent.incrementAndGet();
        sentBytes.addAndGet(next.chunk().getPcmData().size());
      }
    } catch (RuntimeException e) {
      // The call ended underneath us (cancelled by the client); the session notices through
      // onCancel.
      stream = null;
    }
  }
}
