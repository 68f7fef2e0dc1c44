package com.mentra.bridge.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SerializingExecutorTest {
  /**
   * The defect of the old SerialExecutor and SerialDispatcher: `scheduled` was set, then the
   * backing pool rejected the drain, and the queue never ran again. A saturated pool must not wedge
   * a room.
   */
  @Test
  void aSaturatedBackingPoolDoesNotWedgeTheQueue() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1));
    pool.execute(() -> await(release)); // the thread is busy
    pool.execute(() -> {}); // the queue is full: the next submission is rejected
    SerializingExecutor room = new SerializingExecutor(pool, 100, "room");
    List<Integer> ran = new CopyOnWriteArrayList<>();
    CountDownLatch done = new CountDownLatch(3);
    for (int i = 0; i < 3; i++) {
      int n = i;
      room.execute(
          () -> {
            ran.add(n);
            done.countDown();
          });
    }
    assertThat(done.await(5, TimeUnit.SECONDS))
        .as("tasks ran although the backing pool rejects")
        .isTrue();
    assertThat(ran).containsExactly(0, 1, 2);
    // And later tasks still run: nothing stayed "scheduled" without a drain.
    CountDownLatch later = new CountDownLatch(1);
    room.execute(later::countDown);
    assertThat(later.await(5, TimeUnit.SECONDS)).isTrue();
    release.countDown();
    pool.shutdown();
  }

  @Test
  void aShutDownBackingPoolDoesNotWedgeTheQueueEither() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    pool.shutdown();
    SerializingExecutor callbacks = new SerializingExecutor(pool, 10, "callbacks");
    CountDownLatch ran = new CountDownLatch(1);
    callbacks.execute(ran::countDown);
    assertThat(ran.await(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void tasksRunOneAtATimeInOrderAndAThrowingTaskDoesNotStopTheQueue() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    SerializingExecutor serial = new SerializingExecutor(pool, 10_000, "serial");
    List<Integer> order = new CopyOnWriteArrayList<>();
    int[] inside = {0};
    boolean[] overlapped = {false};
    CountDownLatch done = new CountDownLatch(1);
    for (int i = 0; i < 1_000; i++) {
      int n = i;
      serial.execute(
          () -> {
            if (++inside[0] > 1) overlapped[0] = true;
            assertThat(serial.isCurrent()).isTrue();
            order.add(n);
            inside[0]--;
            if (n == 500) throw new IllegalStateException("a listener bug");
            if (n == 999) done.countDown();
          });
    }
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(overlapped[0]).isFalse();
    assertThat(order).hasSize(1_000).isSorted();
    assertThat(serial.isCurrent()).isFalse();
    assertThatThrownBy(serial::checkCurrent).isInstanceOf(IllegalStateException.class);
    pool.shutdown();
  }

  @Test
  void boundedCapacityRejectsOrReportsFalse() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    SerializingExecutor serial = new SerializingExecutor(pool, 2, "bounded");
    serial.execute(() -> await(release)); // running, not pending
    Thread.sleep(50);
    serial.execute(() -> {});
    serial.execute(() -> {});
    assertThat(serial.offer(() -> {})).isFalse();
    assertThatThrownBy(() -> serial.execute(() -> {}))
        .isInstanceOf(RejectedExecutionException.class);
    release.countDown();
    pool.shutdown();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
