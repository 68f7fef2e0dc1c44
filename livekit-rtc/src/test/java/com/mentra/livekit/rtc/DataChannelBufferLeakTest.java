package com.mentra.livekit.rtc;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.testing.LiveKitServerProcess;
import com.mentra.testing.Poll;
import com.mentra.testing.TestPeer;
import com.mentra.testing.TestPeer.OutgoingData;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every received data packet must become garbage once delivered. webrtc-java 0.14.0's native
 * OnMessage never deleted its JNI local references, and libwebrtc's threads stay attached to the
 * JVM, so each packet's RTCDataChannelBuffer (and its direct ByteBuffer) stayed reachable for good:
 * 88 bytes a packet, found by the 1-hour soak as 831,569 live buffers after 830 s of 100 phones.
 * The webrtc-natives module ships the library with that function fixed.
 */
class DataChannelBufferLeakTest {
  private static final int PACKETS = 2_000;
  private static LiveKitServerProcess server;

  @BeforeAll
  static void startServer() {
    server = LiveKitServerProcess.start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) server.close();
  }

  /** Live instances of {@code className} after a full GC, from the JVM's class histogram. */
  static long liveInstances(String className) throws Exception {
    String histogram =
        (String)
            ManagementFactory.getPlatformMBeanServer()
                .invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"),
                    "gcClassHistogram",
                    new Object[] {null},
                    new String[] {String[].class.getName()});
    for (String line : histogram.split("\n")) {
      String[] columns = line.trim().split("\\s+");
      if (columns.length >= 4 && columns[3].equals(className)) return Long.parseLong(columns[1]);
    }
    return 0;
  }

  @Test
  void receivedDataPacketsDoNotStayReachable() throws Exception {
    RecordingListener events = new RecordingListener();
    try (Room room =
            Room.connect(
                server.wsUrl(),
                server.token("data-leak", "java-bot"),
                RoomOptions.defaults(),
                events);
        TestPeer peer = TestPeer.join("peer", server.wsUrl(), server.token("data-leak", "peer"))) {
      Poll.until(() -> !room.remoteParticipants().isEmpty(), Duration.ofSeconds(5), "peer to join");
      long before = liveInstances("dev.onvoid.webrtc.RTCDataChannelBuffer");
      List<OutgoingData> packets = new ArrayList<>();
      for (int i = 0; i < PACKETS; i++)
        packets.add(OutgoingData.reliable(DataTest.payload(i), "pcm"));
      peer.sendData(packets, 1);
      assertThat(
              events.awaitData(PACKETS, p -> p.kind() == DataKind.RELIABLE, Duration.ofSeconds(60)))
          .hasSize(PACKETS);
      long after = liveInstances("dev.onvoid.webrtc.RTCDataChannelBuffer");
      long byteBuffers = liveInstances("java.nio.DirectByteBuffer");
      System.out.printf(
          "%d packets received: live RTCDataChannelBuffer %d -> %d, live DirectByteBuffer %d%n",
          PACKETS, before, after, byteBuffers);
      // Before the fix: one more live buffer per packet received (2,000 here).
      assertThat(after - before)
          .as("RTCDataChannelBuffers still reachable after delivery")
          .isLessThan(50);
      assertThat(byteBuffers)
          .as("direct ByteBuffers alive (each leaked buffer held one)")
          .isLessThan(PACKETS / 2);
    }
  }
}
