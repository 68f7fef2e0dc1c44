package com.mentra.bridge.dsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PacedPcmBufferTest {
  private static short[] ramp(int start, int count) {
    short[] s = new short[count];
    for (int i = 0; i < count; i++) s[i] = (short) (start + i);
    return s;
  }

  @Test
  void waitsForThePrebufferThenPlaysInOrderAcrossWrites() {
    PacedPcmBuffer buffer = new PacedPcmBuffer(16000, 1, 1000, 60);
    buffer.offer(ramp(0, 800)); // 50 ms
    assertThat(buffer.poll10ms()).isNull();
    buffer.offer(ramp(800, 800)); // 100 ms in total
    short[] all = new short[1600];
    for (int i = 0; i < 10; i++) System.arraycopy(buffer.poll10ms(), 0, all, i * 160, 160);
    assertThat(all).containsExactly(ramp(0, 1600));
    assertThat(buffer.poll10ms()).isNull();
    assertThat(buffer.underruns()).isEqualTo(1);
  }

  @Test
  void burstsOf400msEvery400msPlayWithoutGaps() {
    PacedPcmBuffer buffer = new PacedPcmBuffer(16000, 1, 2000, 60);
    int played = 0;
    int nulls = 0;
    for (int tick = 0; tick < 400; tick++) {
      if (tick % 40 == 0) buffer.offer(ramp(0, 6400));
      if (buffer.poll10ms() != null) played++;
      else nulls++;
    }
    assertThat(played).isEqualTo(400);
    assertThat(nulls).isZero();
  }

  @Test
  void dropsTheOldestWhenFullAndCountsIt() {
    PacedPcmBuffer buffer = new PacedPcmBuffer(16000, 1, 100, 0); // 1600 samples
    buffer.offer(ramp(0, 1600));
    buffer.offer(ramp(1600, 320));
    assertThat(buffer.droppedSamples()).isEqualTo(320);
    assertThat(buffer.bufferedMs()).isEqualTo(100);
    assertThat(buffer.poll10ms()[0]).isEqualTo((short) 320);
  }

  @Test
  void oneHugeWriteKeepsOnlyTheNewestCapacity() {
    PacedPcmBuffer buffer = new PacedPcmBuffer(16000, 1, 100, 0);
    buffer.offer(ramp(0, 5000));
    assertThat(buffer.droppedSamples()).isEqualTo(3400);
    assertThat(buffer.poll10ms()[0]).isEqualTo((short) 3400);
  }

  @Test
  void stereoFramesStayWhole() {
    PacedPcmBuffer buffer = new PacedPcmBuffer(48000, 2, 100, 0);
    buffer.offer(ramp(0, 960));
    assertThat(buffer.poll10ms()).hasSize(960);
    assertThatThrownBy(() -> buffer.offer(new short[3]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void ratesWithoutWhole10msFramesAreRefused() {
    assertThatThrownBy(() -> new PacedPcmBuffer(22050, 1, 1000, 60))
        .hasMessageContaining("multiple of 100");
  }
}
