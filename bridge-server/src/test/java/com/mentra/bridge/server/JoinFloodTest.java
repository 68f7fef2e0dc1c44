package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.bridge.api.HealthCheckRequest;
import com.mentra.bridge.api.JoinRoomRequest;
import com.mentra.bridge.api.JoinRoomResponse;
import com.mentra.bridge.api.LeaveRoomRequest;
import com.mentra.testing.Poll;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A join flood (issue 11): 200 JoinRooms at once with MAX_SESSIONS=100. HealthCheck keeps answering
 * (probed every 100 ms; the worst probe is printed and bounded generously), exactly the limit is
 * admitted, the rest are refused with a reason, and everyone can leave again.
 */
class JoinFloodTest {
  @Test
  void twoHundredConcurrentJoinsKeepHealthAnsweringAndAdmitExactlyTheLimit() throws Exception {
    try (BridgeHarness h = new BridgeHarness(Map.of("MAX_SESSIONS", "100"))) {
      h.health();
      AtomicBoolean flooding = new AtomicBoolean(true);
      AtomicLong worstProbeNanos = new AtomicLong();
      AtomicInteger probes = new AtomicInteger();
      Thread prober =
          Thread.ofPlatform()
              .name("health-prober")
              .start(
                  () -> {
                    while (flooding.get()) {
                      long t0 = System.nanoTime();
                      h.blocking
                          .withDeadlineAfter(10, TimeUnit.SECONDS)
                          .healthCheck(HealthCheckRequest.getDefaultInstance());
                      worstProbeNanos.accumulateAndGet(System.nanoTime() - t0, Math::max);
                      probes.incrementAndGet();
                      try {
                        Thread.sleep(100);
                      } catch (InterruptedException e) {
                        return;
                      }
                    }
                  });
      AtomicInteger admitted = new AtomicInteger();
      AtomicInteger refused = new AtomicInteger();
      List<String> otherFailures = new java.util.concurrent.CopyOnWriteArrayList<>();
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> joins = new ArrayList<>();
      long started = System.nanoTime();
      for (int i = 0; i < 200; i++) {
        String user = "flood-" + i;
        joins.add(
            Thread.ofVirtual()
                .start(
                    () -> {
                      try {
                        start.await();
                        JoinRoomResponse r =
                            h.blocking
                                .withDeadlineAfter(120, TimeUnit.SECONDS)
                                .joinRoom(
                                    JoinRoomRequest.newBuilder()
                                        .setUserId(user)
                                        .setRoomName("flood-room-" + user)
                                        .build());
                        if (r.getSuccess()) admitted.incrementAndGet();
                        else if (r.getError().contains("session limit")) refused.incrementAndGet();
                        else otherFailures.add(r.getError());
                      } catch (Exception e) {
                        otherFailures.add(e.toString());
                      }
                    }));
      }
      start.countDown();
      for (Thread t : joins) t.join(180_000);
      long floodMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      flooding.set(false);
      prober.join(15_000);
      System.out.printf(
          "join flood: 200 joins in %d ms, %d admitted, %d refused, other failures %s; HealthCheck worst %d ms over %d probes%n",
          floodMs,
          admitted.get(),
          refused.get(),
          otherFailures,
          TimeUnit.NANOSECONDS.toMillis(worstProbeNanos.get()),
          probes.get());
      assertThat(otherFailures).isEmpty();
      assertThat(admitted.get()).isEqualTo(100);
      assertThat(refused.get()).isEqualTo(100);
      assertThat(h.health().getActiveSessions()).isEqualTo(100);
      assertThat(TimeUnit.NANOSECONDS.toMillis(worstProbeNanos.get()))
          .as("worst HealthCheck during the flood, ms")
          .isLessThan(2_000);
      // Half the users leave by RPC; shutdown closes the others, all at once, and they leave too.
      for (int i = 0; i < 100; i++)
        h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId("flood-" + i).build());
      int remaining = h.health().getActiveSessions();
      long shutdownStart = System.nanoTime();
      h.bridge.shutdown();
      System.out.printf(
          "shutdown closed %d sessions in %d ms%n",
          remaining, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - shutdownStart));
      assertThat(h.bridge.sessionCount()).isZero();
      for (int i = 0; i < 200; i++) {
        String room = "flood-room-flood-" + i;
        Poll.until(
            () -> h.livekit.participantIdentities(room).isEmpty(),
            Duration.ofSeconds(10),
            "the bridge left " + room);
      }
    }
  }
}
