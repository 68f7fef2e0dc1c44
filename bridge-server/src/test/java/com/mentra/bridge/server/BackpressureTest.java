package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.bridge.api.BridgeStatusRequest;
import com.mentra.bridge.api.LeaveRoomRequest;
import com.mentra.testing.Poll;
import com.mentra.testing.TestEnvironment;
import com.mentra.testing.TestPeer;
import com.mentra.testing.TestPeer.OutgoingData;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A client that stops reading: bounded memory, counted drops, other sessions unaffected, recovery.
 */
class BackpressureTest {
  @Test
  void aStalledReaderLosesOnlyItsOldestChunks() throws Exception {
    try (BridgeHarness h =
        new BridgeHarness(
            Map.of(
                "DOWNLINK_QUEUE_CHUNKS",
                "10",
                "METRICS_PORT",
                String.valueOf(BridgeHarness.freePort())))) {
      String room = "backpressure";
      // The stalled client gets a small HTTP/2 window so its stall reaches the bridge quickly.
      ManagedChannel small =
          NettyChannelBuilder.forAddress(TestEnvironment.get().nodeIp(), h.bridge.port())
              .usePlaintext()
              .flowControlWindow(32 * 1024)
              .intercept(BridgeHarness.bearer(BridgeHarness.TOKEN))
              .build();
      try (TestPeer phone = h.livekit.joinPeer(room, "phone")) {
        assertThat(h.join("stalled", room, "phone").getSuccess()).isTrue();
        assertThat(h.join("healthy", room, "phone").getSuccess()).isTrue();
        BridgeHarness.AudioStream healthy = h.openStream("healthy");
        StalledStream stalled = new StalledStream(small, "stalled");
        Poll.until(() -> h.bridge.streamCount() == 2, Duration.ofSeconds(5), "two streams");

        System.gc();
        long heapBefore = usedHeap();
        // 10 s of phone audio at 10 packets/s while the stalled client reads nothing.
        List<OutgoingData> packets = new ArrayList<>();
        for (int i = 0; i < 100; i++)
          packets.add(OutgoingData.reliable(BridgeAudioPathTest.pcmPacket(i), "pcm"));
        phone.sendData(packets, 100);
        Thread.sleep(300);
        System.gc();
        long heapAfter = usedHeap();
        long dropped =
            h.stub()
                .getStatus(BridgeStatusRequest.newBuilder().setUserId("stalled").build())
                .getDroppedChunks();
        System.out.printf(
            "stalled reader: %d chunks dropped, %d delivered before the window filled; heap %d -> %d MB; healthy reader got %d%n",
            dropped, stalled.count(), heapBefore >> 20, heapAfter >> 20, healthy.received.size());
        assertThat(dropped).isPositive();
        assertThat(MetricsScrape.of(h.bridge).value("livekit_bridge_downlink_dropped_chunks_total"))
            .as("the process-wide metric counts the same drops")
            .isEqualTo((double) dropped);
        assertThat(healthy.received).hasSize(100);
        for (int i = 0; i < 100; i++) {
          assertThat(healthy.received.get(i).getPcmData().toByteArray())
              .isEqualTo(BridgeAudioPathTest.pcmPacket(i));
        }
        assertThat(heapAfter - heapBefore).isLessThan(32L << 20);

        // Reading again: the queued (newest) chunks arrive, then live audio flows again.
        stalled.resume();
        List<OutgoingData> more = new ArrayList<>();
        for (int i = 1_000; i < 1_010; i++)
          more.add(OutgoingData.reliable(BridgeAudioPathTest.pcmPacket(i), "pcm"));
        phone.sendData(more, 100);
        Poll.until(
            () -> stalled.sequences().contains(1_009),
            Duration.ofSeconds(10),
            "live audio after resuming");
        List<Integer> seen = stalled.sequences();
        System.out.println(
            "after resuming the stalled reader received "
                + seen.size()
                + " chunks; last "
                + seen.get(seen.size() - 1));
        assertThat(seen).isSorted();
        assertThat(seen).contains(99);
        h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId("stalled").build());
        h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId("healthy").build());
      } finally {
        small.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static long usedHeap() {
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  /** A StreamAudio client that requests no messages until resumed. */
  static final class StalledStream
      implements io.grpc.stub.ClientResponseObserver<
          com.mentra.bridge.api.AudioChunk, com.mentra.bridge.api.AudioChunk> {
    private final List<Integer> sequences = new java.util.concurrent.CopyOnWriteArrayList<>();
    private io.grpc.stub.ClientCallStreamObserver<com.mentra.bridge.api.AudioChunk> call;

    StalledStream(ManagedChannel channel, String userId) {
      com.mentra.bridge.api.LiveKitBridgeGrpc.newStub(channel).streamAudio(this);
      call.onNext(com.mentra.bridge.api.AudioChunk.newBuilder().setUserId(userId).build());
    }

    @Override
    public void beforeStart(
        io.grpc.stub.ClientCallStreamObserver<com.mentra.bridge.api.AudioChunk> requestStream) {
      call = requestStream;
      requestStream.disableAutoRequestWithInitial(0);
    }

    void resume() {
      call.request(Integer.MAX_VALUE);
    }

    int count() {
      return sequences.size();
    }

    List<Integer> sequences() {
      return new ArrayList<>(sequences);
    }

    @Override
    public void onNext(com.mentra.bridge.api.AudioChunk value) {
      sequences.add(java.nio.ByteBuffer.wrap(value.getPcmData().toByteArray()).getInt());
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
