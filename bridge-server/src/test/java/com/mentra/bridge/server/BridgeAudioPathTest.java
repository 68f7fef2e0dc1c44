package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.mentra.bridge.api.AudioChunk;
import com.mentra.bridge.api.LeaveRoomRequest;
import com.mentra.testing.Poll;
import com.mentra.testing.Spectrum;
import com.mentra.testing.TestEnvironment;
import com.mentra.testing.TestPeer;
import com.mentra.testing.TestPeer.OutgoingData;
import com.mentra.testing.Tones;
import com.mentra.testing.Wav;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The two audio directions through the bridge, against a real LiveKit server and an rtc-node peer.
 */
class BridgeAudioPathTest {
  private static BridgeHarness h;

  @BeforeAll
  static void start() throws Exception {
    h = new BridgeHarness();
  }

  @AfterAll
  static void stop() throws Exception {
    if (h != null) h.close();
  }

  static byte[] pcmPacket(int sequence) {
    byte[] bytes = new byte[3200];
    new Random(sequence).nextBytes(bytes);
    ByteBuffer.wrap(bytes).putInt(sequence);
    return bytes;
  }

  @Test
  void phonePacketsFromTheTargetArriveByteIdenticalAndInOrder() throws Exception {
    String room = "downlink";
    try (TestPeer phone = h.livekit.joinPeer(room, "phone");
        TestPeer other = h.livekit.joinPeer(room, "other")) {
      assertThat(h.join("user-1", room, "phone").getSuccess()).isTrue();
      BridgeHarness.AudioStream stream = h.openStream("user-1");
      Poll.until(() -> h.bridge.streamCount() == 1, Duration.ofSeconds(5), "stream registered");

      List<OutgoingData> fromOther = new ArrayList<>();
      for (int i = 0; i < 20; i++)
        fromOther.add(OutgoingData.reliable(pcmPacket(10_000 + i), "pcm"));
      Thread otherSender = Thread.ofVirtual().start(() -> other.sendData(fromOther, 100));
      List<OutgoingData> packets = new ArrayList<>();
      for (int i = 0; i < 100; i++) packets.add(OutgoingData.reliable(pcmPacket(i), "pcm"));
      phone.sendData(packets, 100);
      otherSender.join(30_000);

      Poll.until(() -> stream.received.size() >= 100, Duration.ofSeconds(10), "100 chunks");
      Thread.sleep(500);
      List<AudioChunk> got = stream.received;
      assertThat(got).hasSize(100);
      for (int i = 0; i < 100; i++) {
        AudioChunk chunk = got.get(i);
        assertThat(chunk.getPcmData().toByteArray()).as("chunk %d", i).isEqualTo(pcmPacket(i));
        assertThat(chunk.getSampleRate()).isEqualTo(16_000);
        assertThat(chunk.getChannels()).isEqualTo(1);
        assertThat(chunk.getUserId()).isEqualTo("user-1");
      }
      assertThat(
              h.stub()
                  .leaveRoom(LeaveRoomRequest.newBuilder().setUserId("user-1").build())
                  .getSuccess())
          .isTrue();
      stream.finish();
    }
  }

  @Test
  void aPhoneThatPrependsASequenceByteIsHeardCleanlyAndItsGapsCounted() throws Exception {
    String room = "seq-header";
    try (TestPeer phone =
        TestPeer.join("phone", h.livekit.wsUrl(), h.livekit.token(room, "seq-user"))) {
      // No token: the bridge mints cloud-agent:seq-user, and the phone (identity seq-user) stays.
      var joined = h.join("seq-user", room, "seq-user");
      assertThat(joined.getSuccess()).isTrue();
      assertThat(joined.getParticipantId()).isEqualTo("cloud-agent:seq-user");
      BridgeHarness.AudioStream stream = h.openStream("seq-user");
      Poll.until(() -> h.bridge.streamCount() == 1, Duration.ofSeconds(5), "stream registered");

      short[] tone = Tones.sine(1000, 16_000, 8000, 3000);
      byte[] toneBytes = Tones.toBytes(tone);
      List<OutgoingData> packets = new ArrayList<>();
      List<byte[]> expected = new ArrayList<>();
      int sequence = 200; // wraps past 255
      for (int i = 0; i < 30; i++) {
        if (i == 10 || i == 11 || i == 20) sequence++; // three packets "lost" on the way
        byte[] pcm = java.util.Arrays.copyOfRange(toneBytes, i * 3200, (i + 1) * 3200);
        byte[] packet = new byte[3201];
        packet[0] = (byte) sequence++;
        System.arraycopy(pcm, 0, packet, 1, pcm.length);
        packets.add(OutgoingData.reliable(packet, "pcm"));
        expected.add(pcm);
      }
      // Older apps: headerless, even-length packets.
      for (int i = 0; i < 5; i++) {
        byte[] pcm = pcmPacket(500 + i);
        packets.add(OutgoingData.reliable(pcm, "pcm"));
        expected.add(pcm);
      }
      phone.sendData(packets, 20);
      Poll.until(() -> stream.received.size() >= 35, Duration.ofSeconds(10), "35 chunks");

      java.io.ByteArrayOutputStream heard = new java.io.ByteArrayOutputStream();
      for (int i = 0; i < 35; i++) {
        AudioChunk chunk = stream.received.get(i);
        assertThat(chunk.getPcmData().toByteArray())
            .as("chunk %d is the packet minus its first byte", i)
            .isEqualTo(expected.get(i));
        assertThat(chunk.getSource()).isEqualTo(AudioChunk.Source.DATA_PACKET);
        if (i < 30) heard.writeBytes(chunk.getPcmData().toByteArray());
      }
      short[] samples = Tones.fromBytes(heard.toByteArray());
      double hz = Spectrum.dominantFrequency(samples, 16_000);
      double level = Spectrum.rmsDbfs(samples);
      System.out.printf(
          "sequence-byte packets: %.2f Hz at %.2f dBFS (sent %.2f dBFS)%n",
          hz, level, Spectrum.rmsDbfs(tone));
      assertThat(hz).isCloseTo(1000, within(2.0));
      assertThat(level).isCloseTo(Spectrum.rmsDbfs(tone), within(0.1));
      var status =
          h.stub()
              .getStatus(
                  com.mentra.bridge.api.BridgeStatusRequest.newBuilder()
                      .setUserId("seq-user")
                      .build());
      assertThat(status.getPhonePacketsLost()).isEqualTo(3);
      assertThat(status.getStats().getAudioFramesSent()).isEqualTo(35);
      // LiveKit disconnects the older of two participants with one identity: the phone must still
      // be here.
      assertThat(h.livekit.participantIdentities(room))
          .containsExactlyInAnyOrder("seq-user", "cloud-agent:seq-user");
      assertThat(phone.isAlive()).isTrue();
      assertThat(
              h.stub()
                  .leaveRoom(LeaveRoomRequest.newBuilder().setUserId("seq-user").build())
                  .getSuccess())
          .isTrue();
      stream.finish();
    }
  }

  @Test
  void burstyUplinkPcmReachesThePeerAsAContinuousTone() throws Exception {
    String room = "uplink";
    Path recording = TestEnvironment.outputDir("bridge").resolve("uplink-440.wav");
    try (TestPeer peer = h.livekit.joinPeer(room, "listener")) {
      assertThat(h.join("user-2", room, "").getSuccess()).isTrue();
      peer.record("cloud-agent:user-2", recording, 48_000);
      BridgeHarness.AudioStream stream = h.openStream("user-2");
      // 100 ms chunks of a continuous 440 Hz tone, sent in bursts of 4 every 400 ms, for 4 s.
      long start = System.nanoTime();
      for (int burst = 0; burst < 10; burst++) {
        for (int c = 0; c < 4; c++) {
          int index = burst * 4 + c;
          stream.send(
              Tones.toBytes(Tones.sine(440, 16_000, 8_000, index * 1600L, 1600)), 16_000, 1);
        }
        long due = start + (burst + 1) * 400_000_000L;
        long wait = due - System.nanoTime();
        if (wait > 0) Thread.sleep(wait / 1_000_000);
      }
      Thread.sleep(800);
      TestPeer.Recording heard = peer.stopRecording();
      Wav.Audio audio = Wav.read(heard.path());
      int first = Spectrum.firstSoundIndex(audio.samples(), audio.sampleRate(), -40);
      assertThat(first).as("the peer heard the uplink").isGreaterThanOrEqualTo(0);
      // From 500 ms after the sound started until the 4 s of audio ended.
      short[] steady =
          Spectrum.slice(
              audio.samples(),
              first + audio.sampleRate() / 2,
              first + audio.sampleRate() * 39 / 10);
      double frequency = Spectrum.dominantFrequency(steady, audio.sampleRate());
      double gap = Spectrum.longestGapMs(steady, audio.sampleRate(), -40);
      System.out.printf(
          "uplink: %.2f Hz, longest gap %.0f ms over %d ms%n",
          frequency, gap, steady.length * 1000L / audio.sampleRate());
      assertThat(frequency).isCloseTo(440, within(2.0));
      assertThat(gap).isLessThanOrEqualTo(40);
      stream.finish();
      h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId("user-2").build());
    }
  }

  @Test
  void optInMicrophoneAudioArrivesAs16kMonoChunks() throws Exception {
    String room = "mic";
    try (TestPeer phone = h.livekit.joinPeer(room, "phone")) {
      phone.publishTone(1000, 48_000, 8_000, 4_000);
      assertThat(
              h.stub()
                  .joinRoom(
                      com.mentra.bridge.api.JoinRoomRequest.newBuilder()
                          .setUserId("user-3")
                          .setRoomName(room)
                          .setTargetIdentity("phone")
                          .setSubscribeTargetAudio(true)
                          .build())
                  .getSuccess())
          .isTrue();
      BridgeHarness.AudioStream stream = h.openStream("user-3");
      Poll.until(
          () -> stream.received.size() >= 20, Duration.ofSeconds(10), "2 s of microphone audio");
      List<AudioChunk> chunks = new ArrayList<>(stream.received);
      java.io.ByteArrayOutputStream pcm = new java.io.ByteArrayOutputStream();
      for (AudioChunk c : chunks) {
        assertThat(c.getSampleRate()).isEqualTo(16_000);
        assertThat(c.getChannels()).isEqualTo(1);
        assertThat(c.getPcmData().size()).isEqualTo(3_200);
        pcm.writeBytes(c.getPcmData().toByteArray());
      }
      short[] samples = Tones.fromBytes(pcm.toByteArray());
      int first = Spectrum.firstSoundIndex(samples, 16_000, -40);
      double frequency =
          Spectrum.dominantFrequency(
              Spectrum.slice(samples, first + 1_600, samples.length), 16_000);
      System.out.printf(
          "microphone track: %d chunks of 100 ms, %.2f Hz%n", chunks.size(), frequency);
      assertThat(frequency).isCloseTo(1000, within(2.0));
      stream.finish();
      h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId("user-3").build());
    }
  }
}
