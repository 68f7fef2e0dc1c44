package com.mentra.livekit.rtc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mentra.bridge.core.SerializingExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The outbound data queue is confined to the room's executor (issue 10): libwebrtc's threads, which
 * run the channels' observers, used to read it ({@code pendingData.isEmpty()} in
 * onBufferedAmountChange) while the room changed it. Without channels (no join) every packet waits
 * in the queue; the test thread stands in for libwebrtc's.
 */
class DataChannelSenderTest {
  private final ExecutorService pool = Executors.newFixedThreadPool(2);
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
  private final SerializingExecutor serial = new SerializingExecutor(pool, 1_000, "test-room");
  private final RoomExecutor room = new RoomExecutor(serial, timers);
  private final DataChannelSender sender = new DataChannelSender(room);

  @AfterEach
  void stop() {
    pool.shutdownNow();
    timers.shutdownNow();
  }

  @Test
  void aBufferedAmountChangeOnALibwebrtcThreadOnlyHandsAFlushToTheRoom() throws Exception {
    List<CompletableFuture<Void>> sent = new ArrayList<>();
    onRoom(
        () -> {
          for (int i = 0; i < 3; i++) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            sender.send(
                new DataChannelSender.Packet(DataKind.RELIABLE, new byte[] {(byte) i}, done));
            sent.add(done);
          }
          return null;
        });
    assertThat(sent).noneMatch(CompletableFuture::isDone);

    DataChannelSender.Observer observer = sender.new Observer();
    CountDownLatch release = new CountDownLatch(1);
    try {
      blockRoom(release);
      // libwebrtc's thread: the queue is the room's, so this may not touch it, only hand over.
      observer.onBufferedAmountChange(0);
      assertThat(serial.pending()).as("a flush handed to the room").isEqualTo(1);
    } finally {
      release.countDown();
    }

    // With the queue empty (its packets failed on the room), there is nothing to hand over.
    onRoom(
        () -> {
          sender.fail("closed");
          return null;
        });
    assertThat(sent).allMatch(CompletableFuture::isCompletedExceptionally);
    CountDownLatch release2 = new CountDownLatch(1);
    try {
      blockRoom(release2);
      observer.onBufferedAmountChange(0);
      assertThat(serial.pending()).as("no flush handed over for an empty queue").isZero();
    } finally {
      release2.countDown();
    }
  }

  @Test
  void theQueueRefusesEveryCallerButTheRoom() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    assertThatThrownBy(
            () -> sender.send(new DataChannelSender.Packet(DataKind.RELIABLE, new byte[1], done)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("outside its serializing executor");
    assertThatThrownBy(sender::flush).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> sender.fail("x")).isInstanceOf(IllegalStateException.class);
  }

  /** Occupies the room with a task until {@code release}; nothing else runs on it meanwhile. */
  private void blockRoom(CountDownLatch release) throws InterruptedException {
    CountDownLatch running = new CountDownLatch(1);
    serial.execute(
        () -> {
          running.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
  }

  private <T> T onRoom(Callable<T> task) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    serial.execute(
        () -> {
          try {
            result.complete(task.call());
          } catch (Throwable t) {
            result.completeExceptionally(t);
          }
        });
    return result.get(10, TimeUnit.SECONDS);
  }
}
