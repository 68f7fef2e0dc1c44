package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.mentra.bridge.api.AudioChunk;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.RepeatedTest;

/**
 * gRPC's response observers are not thread-safe: room audio (DownlinkQueue's onNext) and the end of
 * the call (StreamAudioCall's onError/onCompleted) come from different threads and must never be
 * inside the observer at the same time.
 */
class ResponseSerializationTest {
  /** An observer that notices two threads inside it at once. */
  static final class OverlapDetectingObserver extends ServerCallStreamObserver<AudioChunk> {
    final AtomicInteger inside = new AtomicInteger();
    final AtomicInteger overlaps = new AtomicInteger();
    volatile boolean closed;

    private void enter() {
      if (inside.incrementAndGet() > 1) overlaps.incrementAndGet();
      try {
        Thread.sleep(0, 200_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      inside.decrementAndGet();
    }

    @Override
    public void onNext(AudioChunk value) {
      if (closed) throw new IllegalStateException("call already closed");
      enter();
    }

    @Override
    public void onError(Throwable t) {
      enter();
      closed = true;
    }

    @Override
    public void onCompleted() {
      enter();
      closed = true;
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public void setOnCancelHandler(Runnable r) {}

    @Override
    public void setCompression(String c) {}

    @Override
    public boolean isReady() {
      return true;
    }

    @Override
    public void setOnReadyHandler(Runnable r) {}

    @Override
    public void request(int n) {}

    @Override
    public void setMessageCompression(boolean e) {}

    @Override
    public void disableAutoInboundFlowControl() {}
  }

  @RepeatedTest(20)
  void roomAudioAndTheCallsEndNeverOverlap() throws Exception {
    OverlapDetectingObserver observer = new OverlapDetectingObserver();
    SessionRegistry registry =
        new SessionRegistry(
            BridgeConfig.from(Map.of("BIND_ADDRESS", "127.0.0.1")),
            null,
            Runnable::run,
            null,
            null);
    StreamAudioCall call = new StreamAudioCall(registry, observer, "", new AtomicLong());
    call.onNext(AudioChunk.newBuilder().setUserId("u").build());
    DownlinkQueue downlink = new DownlinkQueue(1000, () -> {}, (source, nanos) -> {});
    downlink.attach(observer);
    AudioChunk chunk =
        AudioChunk.newBuilder().setPcmData(ByteString.copyFrom(new byte[320])).build();
    Thread room =
        Thread.ofPlatform()
            .start(
                () -> {
                  for (int i = 0; i < 200 && !observer.closed; i++)
                    downlink.offer(chunk, System.nanoTime());
                });
    Thread.sleep(2);
    call.shutdown();
    room.join(10_000);
    assertThat(observer.overlaps.get()).as("calls inside the observer at the same time").isZero();
  }
}
