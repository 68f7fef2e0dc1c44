package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.mentra.bridge.api.AudioChunk;
import com.mentra.bridge.api.BridgeStatusRequest;
import com.mentra.testing.Poll;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The StreamAudio chunk path under hostile input at volume: thousands of chunks with random rates,
 * channel counts, sizes (odd, empty, oversized) and track ids, mixed with valid ones, from a seeded
 * generator. The call stays open, every unplayable chunk is counted, nothing throws, and the bridge
 * keeps answering.
 */
class UplinkChunkFuzzTest {
  @Test
  void randomChunksNeverEndTheCallOrHurtTheBridge() throws Exception {
    try (BridgeHarness h = new BridgeHarness()) {
      assertThat(h.join("fuzzed", "fuzz-room", "").getSuccess()).isTrue();
      BridgeHarness.AudioStream stream = h.openStream("fuzzed");
      Poll.until(() -> h.bridge.streamCount() == 1, Duration.ofSeconds(5), "the stream");
      Random random = new Random(20261126);
      int[] rates = {
        0,
        8_000,
        16_000,
        22_050,
        44_100,
        48_000,
        7_999,
        8_001,
        48_001,
        96_000,
        -16_000,
        Integer.MAX_VALUE,
        Integer.MIN_VALUE
      };
      long malformedBefore = h.bridge.malformedChunks();
      int expectedBad = 0;
      long started = System.nanoTime();
      int sent = 0;
      for (; sent < 3_000 && System.nanoTime() - started < 60_000_000_000L; sent++) {
        int rate =
            random.nextInt(4) == 0
                ? random.nextInt(200_000) - 10_000
                : rates[random.nextInt(rates.length)];
        int channels = random.nextInt(8) - 2;
        int trackId = random.nextInt(10) == 0 ? random.nextInt(80) - 20 : random.nextInt(3);
        int size =
            switch (random.nextInt(6)) {
              case 0 -> 0;
              case 1 -> random.nextInt(7);
              case 2 -> UplinkChunks.MAX_CHUNK_BYTES + random.nextInt(1024);
              default -> random.nextInt(4_000);
            };
        byte[] pcm = new byte[size];
        random.nextBytes(pcm);
        int effectiveRate = rate == 0 ? 16_000 : rate;
        int effectiveChannels = channels == 0 ? 1 : channels;
        if (size > 0
            && UplinkChunks.problem(size, effectiveRate, effectiveChannels, trackId) != null)
          expectedBad++;
        stream.send(
            AudioChunk.newBuilder()
                .setPcmData(ByteString.copyFrom(pcm))
                .setSampleRate(rate)
                .setChannels(channels)
                .setTrackId(trackId)
                .build());
        if (sent % 500 == 0) assertThat(h.health().getStatus().name()).isEqualTo("SERVING");
      }
      int bad = expectedBad;
      Poll.until(
          () -> h.bridge.malformedChunks() - malformedBefore >= bad,
          Duration.ofSeconds(20),
          bad
              + " malformed chunks counted (so far "
              + (h.bridge.malformedChunks() - malformedBefore)
              + ")");
      System.out.printf(
          "uplink fuzz: %d chunks sent, %d unplayable and counted, call still open: %s%n",
          sent, bad, stream.error == null && !stream.completed);
      assertThat(h.bridge.malformedChunks() - malformedBefore).isEqualTo(bad);
      assertThat(stream.error).isNull();
      assertThat(stream.completed).isFalse();
      assertThat(
              h.stub()
                  .getStatus(BridgeStatusRequest.newBuilder().setUserId("fuzzed").build())
                  .getConnected())
          .isTrue();
      assertThat(
              h.stub()
                  .getStatus(BridgeStatusRequest.newBuilder().setUserId("fuzzed").build())
                  .getStats()
                  .getAudioFramesReceived())
          .isGreaterThan(0);
      stream.finish();
    }
  }
}
