package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.bridge.api.JoinRoomRequest;
import com.mentra.bridge.api.JoinRoomResponse;
import com.mentra.testing.Poll;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Admission under concurrency: the session limit holds however many joins race, and shutdown leaves
 * nobody behind.
 */
class AdmissionTest {
  @Test
  void fiftyConcurrentJoinsOfDistinctUsersAdmitExactlyTheLimit() throws Exception {
    try (BridgeHarness h = new BridgeHarness(Map.of("MAX_SESSIONS", "20"))) {
      h.health(); // a warm channel, so the joins really race
      AtomicInteger admitted = new AtomicInteger();
      AtomicInteger refused = new AtomicInteger();
      List<Thread> joins = new ArrayList<>();
      CountDownLatch start = new CountDownLatch(1);
      for (int i = 0; i < 50; i++) {
        String user = "crowd-" + i;
        joins.add(
            Thread.ofVirtual()
                .start(
                    () -> {
                      try {
                        start.await();
                      } catch (InterruptedException e) {
                        return;
                      }
                      JoinRoomResponse r =
                          h.stub()
                              .joinRoom(
                                  JoinRoomRequest.newBuilder()
                                      .setUserId(user)
                                      .setRoomName("room-" + user)
                                      .build());
                      if (r.getSuccess()) admitted.incrementAndGet();
                      else if (r.getError().contains("session limit")) refused.incrementAndGet();
                    }));
      }
      start.countDown();
      for (Thread t : joins) t.join(60_000);
      System.out.printf(
          "50 concurrent joins, MAX_SESSIONS=20: %d admitted, %d refused%n",
          admitted.get(), refused.get());
      assertThat(admitted.get()).isEqualTo(20);
      assertThat(refused.get()).isEqualTo(30);
      assertThat(h.health().getActiveSessions()).isEqualTo(20);
    }
  }

  @Test
  void shutdownWhileJoinsAreInFlightLeavesNoParticipantBehind() throws Exception {
    BridgeHarness h = new BridgeHarness();
    List<String> rooms = new ArrayList<>();
    try {
      h.health();
      List<Thread> joins = new ArrayList<>();
      for (int i = 0; i < 15; i++) {
        String user = "late-" + i;
        rooms.add("room-" + user);
        joins.add(
            Thread.ofVirtual()
                .start(
                    () -> {
                      try {
                        h.stub()
                            .joinRoom(
                                JoinRoomRequest.newBuilder()
                                    .setUserId(user)
                                    .setRoomName("room-" + user)
                                    .build());
                      } catch (RuntimeException e) {
                        // The bridge went away mid-call: expected for some.
                      }
                    }));
      }
      Thread.sleep(150); // some joins done, some connecting
      h.bridge.shutdown();
      for (Thread t : joins) t.join(30_000);
      Poll.until(
          () -> rooms.stream().allMatch(r -> h.livekit.participantIdentities(r).isEmpty()),
          Duration.ofSeconds(10),
          "every room empty after shutdown");
      assertThat(h.bridge.sessionCount()).isZero();
    } finally {
      h.close();
    }
  }
}
