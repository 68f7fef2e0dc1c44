package com.mentra.livekit.rtc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mentra.bridge.core.SerializingExecutor;
import com.mentra.testing.Poll;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link RoomEngine#closeWithin} when the room's queue is full (issue 10): the close must not be
 * dropped. It used to log "closing anyway", not close, and wait out its whole timeout on a future
 * nothing would ever complete; the room then stayed open for good. No server: the engine never
 * joins, and its executor is the test's, with room for one waiting task.
 */
class RoomCloseTest {
  @Test
  void aCloseTheFullQueueRefusedStillClosesTheRoomOnceTheQueueHasRoom() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    SerializingExecutor serial = new SerializingExecutor(pool, 1, "test-room");
    RecordingListener events = new RecordingListener();
    RoomEngine engine =
        new RoomEngine(
            null,
            SignalUrls.parse("ws://127.0.0.1:9"),
            "token",
            RoomOptions.defaults(),
            events,
            new RoomExecutor(serial, timers));
    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try {
      // The room is busy with one task and has one more waiting: its queue is full.
      serial.execute(
          () -> {
            busy.countDown();
            awaitQuietly(release);
          });
      assertThat(busy.await(10, TimeUnit.SECONDS)).isTrue();
      serial.execute(() -> {});
      assertThatThrownBy(() -> serial.execute(() -> {}))
          .as("the room's queue is full")
          .isInstanceOf(RejectedExecutionException.class);

      // The close is refused now; it returns after its timeout with the room still busy.
      engine.closeWithin(Duration.ofMillis(500));
      assertThat(engine.state()).isEqualTo(ConnectionState.CONNECTING);

      // Once the room has room again, the close that was refused must still happen.
      release.countDown();
      Poll.until(
          () -> engine.state() == ConnectionState.DISCONNECTED,
          Duration.ofSeconds(30),
          "the room to close after its queue had room again; state " + engine.state());
      events.awaitState(ConnectionState.DISCONNECTED, Duration.ofSeconds(10));
      assertThat(events.states)
          .extracting(RecordingListener.StateChange::reason)
          .containsExactly("client closed the room");
    } finally {
      release.countDown();
      pool.shutdownNow();
      timers.shutdownNow();
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
