package com.mentra.bridge.load;

import com.google.protobuf.ByteString;
import com.mentra.bridge.api.AudioChunk;
import com.mentra.bridge.api.LiveKitBridgeGrpc;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;

/**
 * One user's session as the load tool drives it: the StreamAudio call that receives the phone's
 * packets (timing each from the send time the phone stamped into it) and carries the uplink PCM.
 */
final class Session implements ClientResponseObserver<AudioChunk, AudioChunk> {
  final int index;
  final String userId;
  final String room;

  /** Phone -> client latency of this interval, shared by all sessions. */
  private final Histogram downLatency;

  private final LongAdder receivedTotal;
  private volatile ClientCallStreamObserver<AudioChunk>
      call; // null until opened (a failed join never opens)

  /**
   * Written by the gRPC thread that delivers this call's messages (one at a time), read by the
   * reporter.
   */
  volatile long received;

  volatile long outOfOrder;
  volatile long otherChunks;
  private long expected;
  volatile Throwable error;
  volatile boolean completed;
  volatile long joinedAtNanos;

  /**
   * Uplink bursts sent, newest last: when each started (µs since the epoch) and its length class.
   */
  private final long[] burstAt = new long[16];

  private final int[] burstClass = new int[16];
  private int bursts;
  long uplinkChunks;
  long uplinkNotReady;

  Session(int index, Histogram downLatency, LongAdder receivedTotal) {
    this.index = index;
    this.userId = "user-" + index;
    this.room = "load-" + index;
    this.downLatency = downLatency;
    this.receivedTotal = receivedTotal;
  }

  static long nowMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  /** The uplink thread sent the first chunk of a burst of length class {@code lengthClass}. */
  synchronized void burstSent(long atMicros, int lengthClass) {
    burstAt[bursts % burstAt.length] = atMicros;
    burstClass[bursts % burstAt.length] = lengthClass;
    bursts++;
  }

  /**
   * The client -> listener latency of a burst the listener heard start at {@code heardMicros}: from
   * the newest burst of that length class sent before it; -1 when none matches.
   */
  synchronized long burstLatency(long heardMicros, int lengthClass) {
    for (int k = bursts - 1; k >= Math.max(0, bursts - burstAt.length); k--) {
      int slot = k % burstAt.length;
      if (burstClass[slot] == lengthClass && burstAt[slot] <= heardMicros)
        return heardMicros - burstAt[slot];
    }
    return -1;
  }

  /** Opens the StreamAudio call; its first message names the user. */
  void open(LiveKitBridgeGrpc.LiveKitBridgeStub stub) {
    stub.streamAudio(this);
    call.onNext(AudioChunk.newBuilder().setUserId(userId).build());
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<AudioChunk> requestStream) {
    call = requestStream;
  }

  /** Uplink PCM; called from the one uplink thread only. */
  void send(AudioChunk chunk) {
    ClientCallStreamObserver<AudioChunk> call = this.call;
    if (call == null || completed || error != null) return;
    if (!call.isReady()) uplinkNotReady++;
    call.onNext(chunk);
    uplinkChunks++;
  }

  void finish() {
    ClientCallStreamObserver<AudioChunk> call = this.call;
    if (call == null || completed || error != null) return;
    try {
      call.onCompleted();
    } catch (RuntimeException alreadyClosed) {
      // ended meanwhile
    }
  }

  @Override
  public void onNext(AudioChunk chunk) {
    long now = nowMicros();
    ByteString pcm = chunk.getPcmData();
    if (chunk.getSource() != AudioChunk.Source.DATA_PACKET || pcm.size() < 12) {
      otherChunks++;
      return;
    }
    ByteBuffer head = pcm.substring(0, 12).asReadOnlyByteBuffer();
    long packet = head.getInt(0) & 0xffffffffL;
    downLatency.record(now - head.getLong(4));
    if (packet != expected) outOfOrder++;
    expected = packet + 1;
    received++;
    receivedTotal.increment();
  }

  @Override
  public void onError(Throwable t) {
    error = t;
  }

  @Override
  public void onCompleted() {
    completed = true;
  }
}
