package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.bridge.api.BridgeStatusRequest;
import com.mentra.bridge.api.LeaveRoomRequest;
import com.mentra.testing.Poll;
import com.mentra.testing.TestPeer;
import com.mentra.testing.TestPeer.OutgoingData;
import com.mentra.testing.Tones;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * 20 sessions on one bridge with audio both ways: every session gets every phone packet in order
 * while streaming a tone up. Prints CPU, RSS and threads per session and the room-to-client latency
 * (duration: -Dbridge.loadSeconds, default 30).
 */
class ConcurrentSessionsTest {
  private static final int SESSIONS = 20;

  /** Where the phone writes each packet's send time, for the latency figures. */
  private static final int LATENCY_STAMP_AT = 4;

  @Test
  void twentySessionsWithAudioBothWays() throws Exception {
    int seconds = Integer.getInteger("bridge.loadSeconds", 30);
    int packets = seconds * 10;
    try (BridgeHarness h = new BridgeHarness(Map.of("DOWNLINK_QUEUE_CHUNKS", "50"))) {
      String room = "crowd";
      try (TestPeer phone =
          TestPeer.join("phone", h.livekit.wsUrl(), h.livekit.token(room, "phone"), false)) {
        Snapshot idle = Snapshot.take();
        List<BridgeHarness.AudioStream> streams = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
          assertThat(h.join("user-" + i, room, "phone").getSuccess()).isTrue();
          streams.add(h.openStream("user-" + i));
        }
        Poll.until(() -> h.bridge.streamCount() == SESSIONS, Duration.ofSeconds(10), "all streams");
        Snapshot joined = Snapshot.take();
        System.out.println("  OS threads by name after joining: " + Snapshot.threadNames());

        // Uplink: every session streams 100 ms of tone every 100 ms.
        List<Thread> uplinks = new ArrayList<>();
        for (int s = 0; s < SESSIONS; s++) {
          BridgeHarness.AudioStream stream = streams.get(s);
          uplinks.add(
              Thread.ofVirtual()
                  .start(
                      () -> {
                        long start = System.nanoTime();
                        for (int c = 0; c < packets; c++) {
                          stream.send(
                              Tones.toBytes(Tones.sine(440, 16_000, 8_000, c * 1600L, 1600)),
                              16_000,
                              1);
                          long wait = start + (c + 1) * 100_000_000L - System.nanoTime();
                          if (wait > 0) {
                            try {
                              Thread.sleep(wait / 1_000_000);
                            } catch (InterruptedException e) {
                              return;
                            }
                          }
                        }
                      }));
        }
        // Downlink: the phone sends 3200-byte PCM packets at 10 per second.
        List<OutgoingData> data = new ArrayList<>();
        for (int i = 0; i < packets; i++)
          data.add(OutgoingData.reliable(BridgeAudioPathTest.pcmPacket(i), "pcm"));
        Snapshot loadStart = Snapshot.take();
        phone.sendData(data, 100, LATENCY_STAMP_AT); // bytes 0-3 stay the sequence number
        for (Thread t : uplinks) t.join(60_000);
        Snapshot loadEnd = Snapshot.take();
        Thread.sleep(1_000);

        List<Long> latencyMicros = new ArrayList<>();
        for (int s = 0; s < SESSIONS; s++) {
          var got = streams.get(s).received;
          for (int i = 0; i < got.size(); i++) {
            latencyMicros.add(
                streams.get(s).receivedAtMicros.get(i)
                    - TestPeer.sentAtMicros(
                        got.get(i).getPcmData().toByteArray(), LATENCY_STAMP_AT));
          }
          assertThat(got).as("session %d", s).hasSize(packets);
          for (int i = 0; i < packets; i++) {
            assertThat(ByteBuffer.wrap(got.get(i).getPcmData().toByteArray()).getInt())
                .as("session %d chunk %d", s, i)
                .isEqualTo(i);
          }
          assertThat(
                  h.stub()
                      .getStatus(BridgeStatusRequest.newBuilder().setUserId("user-" + s).build())
                      .getDroppedChunks())
              .isZero();
        }
        double cpuSeconds = (loadEnd.cpuNanos - loadStart.cpuNanos) / 1e9;
        double wall = (loadEnd.atNanos - loadStart.atNanos) / 1e9;
        System.out.printf(
            "%d sessions, %d s of audio both ways (bridge, LiveKit server and peer share 2 cores)%n",
            SESSIONS, seconds);
        System.out.printf(
            "  bridge CPU: %.2f cores in total, %.3f cores per session%n",
            cpuSeconds / wall, cpuSeconds / wall / SESSIONS);
        System.out.printf(
            "  RSS: idle %d MB, joined %d MB (+%.1f MB per session), after load %d MB%n",
            idle.rssKb / 1024,
            joined.rssKb / 1024,
            (joined.rssKb - idle.rssKb) / 1024.0 / SESSIONS,
            loadEnd.rssKb / 1024);
        latencyMicros.sort(null);
        System.out.printf(
            "  phone -> LiveKit -> bridge -> gRPC client latency over %d chunks: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms%n",
            latencyMicros.size(),
            percentile(latencyMicros, 50),
            percentile(latencyMicros, 95),
            percentile(latencyMicros, 99),
            latencyMicros.get(latencyMicros.size() - 1) / 1000.0);
        System.out.printf(
            "  OS threads (JVM + native): idle %d, joined %d (+%.2f per session), during load %d%n",
            idle.threads,
            joined.threads,
            (joined.threads - idle.threads) / (double) SESSIONS,
            loadEnd.threads);
        for (int s = 0; s < SESSIONS; s++)
          h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId("user-" + s).build());
        assertThat(h.health().getActiveSessions()).isZero();
      }
    }
  }

  private static double percentile(List<Long> sortedMicros, int p) {
    return sortedMicros.get(Math.min(sortedMicros.size() - 1, sortedMicros.size() * p / 100))
        / 1000.0;
  }

  private record Snapshot(long cpuNanos, long rssKb, int threads, long atNanos) {
    /** OS thread names (digits folded) with their counts: which component owns the threads. */
    static java.util.SortedMap<String, Integer> threadNames() throws Exception {
      java.util.SortedMap<String, Integer> names = new java.util.TreeMap<>();
      try (var tasks = Files.list(Path.of("/proc/self/task"))) {
        for (Path task : tasks.toList()) {
          try {
            names.merge(
                Files.readString(task.resolve("comm")).strip().replaceAll("\\d+", "#"),
                1,
                Integer::sum);
          } catch (java.io.IOException ended) {
            // the thread ended while we listed
          }
        }
      }
      return names;
    }

    static Snapshot take() throws Exception {
      var os =
          (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long rss = 0;
      int threads = 0;
      // OS-level counts: they include libwebrtc's native threads, which the JVM does not see.
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) rss = Long.parseLong(line.replaceAll("\\D", ""));
        if (line.startsWith("Threads:")) threads = Integer.parseInt(line.replaceAll("\\D", ""));
      }
      return new Snapshot(os.getProcessCpuTime(), rss, threads, System.nanoTime());
    }
  }
}
