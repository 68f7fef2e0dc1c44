package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.mentra.bridge.api.AudioChunk;
import org.junit.jupiter.api.Test;

/** The queue for a client that does not read stays bounded by count and by bytes. */
class DownlinkQueueTest {
  private static AudioChunk chunk(int bytes) {
    return AudioChunk.newBuilder().setPcmData(ByteString.copyFrom(new byte[bytes])).build();
  }

  @Test
  void phonePacketsAreBoundedByCount() {
    DownlinkQueue queue = new DownlinkQueue(10, () -> {}, (source, nanos) -> {});
    for (int i = 0; i < 10; i++) queue.offer(chunk(3_200), System.nanoTime());
    assertThat(queue.dropped()).isZero();
    for (int i = 0; i < 5; i++) queue.offer(chunk(3_200), System.nanoTime());
    assertThat(queue.queued()).isEqualTo(10);
    assertThat(queue.dropped()).isEqualTo(5);
  }

  @Test
  void oversizedPacketsAreBoundedByBytes() {
    // A room participant may send data packets of up to 256 KiB: counting chunks alone let a client
    // that does not read hold capacity times that.
    DownlinkQueue queue = new DownlinkQueue(10, () -> {}, (source, nanos) -> {});
    int big = 100 * 1024;
    for (int i = 0; i < 50; i++) queue.offer(chunk(big), System.nanoTime());
    long budget = 10L * DownlinkQueue.BYTES_PER_SLOT;
    assertThat(queue.queuedBytes()).isLessThanOrEqualTo(budget);
    assertThat(queue.queued()).isEqualTo(1); // two would be 200 KiB, over the 160 KiB budget
    assertThat(queue.dropped()).isEqualTo(49);

    // Small chunks fill it again by count once the big ones are gone.
    for (int i = 0; i < 10; i++) queue.offer(chunk(3_200), System.nanoTime());
    assertThat(queue.queued()).isEqualTo(10);
    assertThat(queue.queuedBytes()).isEqualTo(10 * 3_200);
    queue.close();
    assertThat(queue.queuedBytes()).isZero();
  }
}
