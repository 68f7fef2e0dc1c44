package com.mentra.livekit.rtc;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.testing.LiveKitServerExtension;
import com.mentra.testing.Poll;
import com.mentra.testing.TestPeer;
import com.mentra.testing.TestPeer.OutgoingData;
import com.mentra.testing.TestPeer.ReceivedData;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class DataTest {
  private static final int SIZE = 3200;
  @RegisterExtension static final LiveKitServerExtension livekit = new LiveKitServerExtension();

  /** 3200 bytes: a sequence number, then bytes derived from it, so corruption is detectable. */
  static byte[] payload(int sequence) {
    byte[] bytes = new byte[SIZE];
    new Random(sequence).nextBytes(bytes);
    ByteBuffer.wrap(bytes).putInt(sequence);
    return bytes;
  }

  static int sequenceOf(byte[] payload) {
    return ByteBuffer.wrap(payload).getInt();
  }

  @Test
  void packetsFromThePeerArriveWithIdentityTopicAndOrder() throws Exception {
    RecordingListener events = new RecordingListener();
    try (Room room =
            Room.connect(
                livekit.wsUrl(),
                livekit.token("data-in", "java-bot"),
                RoomOptions.defaults(),
                events);
        TestPeer peer = livekit.joinPeer("data-in", "peer")) {
      Poll.forValue(
          () -> room.remoteParticipants().isEmpty() ? null : true,
          Duration.ofSeconds(5),
          "peer to join");
      List<OutgoingData> packets = new ArrayList<>();
      for (int i = 0; i < 100; i++) packets.add(OutgoingData.reliable(payload(i), "pcm"));
      for (int i = 100; i < 200; i++) packets.add(OutgoingData.lossy(payload(i), "pcm-lossy"));
      peer.sendData(packets, 5);

      List<DataPacket> reliable =
          events.awaitData(100, p -> p.kind() == DataKind.RELIABLE, Duration.ofSeconds(10));
      assertThat(reliable).hasSize(100);
      for (int i = 0; i < 100; i++) {
        DataPacket p = reliable.get(i);
        assertThat(p.senderIdentity()).isEqualTo("peer");
        assertThat(p.topic()).isEqualTo("pcm");
        assertThat(p.payload()).as("reliable packet %d", i).isEqualTo(payload(i));
      }
      List<DataPacket> lossy =
          events.awaitData(100, p -> p.kind() == DataKind.LOSSY, Duration.ofSeconds(3));
      System.out.println("lossy packets received: " + lossy.size() + "/100");
      assertThat(lossy.size()).isGreaterThanOrEqualTo(95);
      for (DataPacket p : lossy) {
        assertThat(p.senderIdentity()).isEqualTo("peer");
        assertThat(p.topic()).isEqualTo("pcm-lossy");
        assertThat(p.payload()).isEqualTo(payload(sequenceOf(p.payload())));
      }
    }
  }

  @Test
  void packetsToThePeerArriveWithIdentityTopicAndOrder() throws Exception {
    try (Room room =
            Room.connect(
                livekit.wsUrl(),
                livekit.token("data-out", "java-bot"),
                RoomOptions.defaults(),
                new RecordingListener());
        TestPeer peer = livekit.joinPeer("data-out", "peer")) {
      Poll.forValue(
          () -> room.remoteParticipants().isEmpty() ? null : true,
          Duration.ofSeconds(5),
          "peer to join");
      List<CompletableFuture<Void>> sends = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        sends.add(room.sendData(payload(i), DataSendOptions.reliable().withTopic("pcm")));
        Thread.sleep(5);
      }
      for (int i = 100; i < 200; i++) {
        sends.add(room.sendData(payload(i), DataSendOptions.lossy().withTopic("pcm-lossy")));
        Thread.sleep(5);
      }
      for (CompletableFuture<Void> send : sends) send.get(10, TimeUnit.SECONDS);

      List<ReceivedData> all = peer.awaitData(200, Duration.ofSeconds(10));
      List<ReceivedData> reliable = all.stream().filter(d -> d.kind().equals("reliable")).toList();
      List<ReceivedData> lossy = all.stream().filter(d -> d.kind().equals("lossy")).toList();
      System.out.println(
          "peer received reliable " + reliable.size() + "/100, lossy " + lossy.size() + "/100");
      assertThat(reliable).hasSize(100);
      for (int i = 0; i < 100; i++) {
        assertThat(reliable.get(i).from()).isEqualTo("java-bot");
        assertThat(reliable.get(i).topic()).isEqualTo("pcm");
        assertThat(reliable.get(i).payload()).as("reliable packet %d", i).isEqualTo(payload(i));
      }
      assertThat(lossy.size()).isGreaterThanOrEqualTo(95);
      for (ReceivedData d : lossy) {
        assertThat(d.from()).isEqualTo("java-bot");
        assertThat(d.topic()).isEqualTo("pcm-lossy");
        assertThat(d.payload()).isEqualTo(payload(sequenceOf(d.payload())));
      }
    }
  }

  @Test
  void destinationIdentitiesLimitWhoReceives() throws Exception {
    try (Room room =
            Room.connect(
                livekit.wsUrl(),
                livekit.token("data-dest", "java-bot"),
                RoomOptions.defaults(),
                new RecordingListener());
        TestPeer alice = livekit.joinPeer("data-dest", "alice");
        TestPeer bob = livekit.joinPeer("data-dest", "bob")) {
      Poll.forValue(
          () -> room.remoteParticipants().size() < 2 ? null : true,
          Duration.ofSeconds(5),
          "peers to join");
      room.sendData(
              payload(1),
              DataSendOptions.reliable().withTopic("to-bob").withDestinations(List.of("bob")))
          .get(5, TimeUnit.SECONDS);
      room.sendData(payload(2), DataSendOptions.reliable().withTopic("to-all"))
          .get(5, TimeUnit.SECONDS);
      assertThat(bob.awaitData(2, Duration.ofSeconds(5)))
          .extracting(ReceivedData::topic)
          .containsExactly("to-bob", "to-all");
      assertThat(alice.awaitData(1, Duration.ofSeconds(5)))
          .extracting(ReceivedData::topic)
          .containsExactly("to-all");
    }
  }
}
