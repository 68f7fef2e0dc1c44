package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class UserLocksTest {
  @Test
  void aSlowUserNeverMakesAnotherUserWaitAndEntriesGoAway() throws Exception {
    UserLocks locks = new UserLocks();
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread slow =
        Thread.ofVirtual()
            .start(
                () -> {
                  try (UserLocks.Held held = locks.acquire("slow", 1_000)) {
                    holding.countDown();
                    release.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
    holding.await();
    // Hundreds of other users, some of whom shared "slow"'s stripe under the old striped locks.
    for (int i = 0; i < 1_000; i++) {
      try (UserLocks.Held held = locks.acquire("user-" + i, 0)) {
        assertThat(held).as("user-%d got its lock at once", i).isNotNull();
      }
    }
    assertThat(locks.acquire("slow", 50)).as("the same user waits, then gives up").isNull();
    release.countDown();
    slow.join(5_000);
    assertThat(locks.size()).as("no entry kept for users nobody holds").isZero();
  }
}
