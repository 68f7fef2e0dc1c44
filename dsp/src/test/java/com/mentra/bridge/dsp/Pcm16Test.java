package com.mentra.bridge.dsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class Pcm16Test {
  private static final short[] SAMPLES = {0, 1, -1, 0x1234, Short.MAX_VALUE, Short.MIN_VALUE, -300};

  @Test
  void encodesLittleEndianAsTheJdkDoes() {
    ByteBuffer jdk = ByteBuffer.allocate(SAMPLES.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    jdk.asShortBuffer().put(SAMPLES);
    assertThat(Pcm16.encode(SAMPLES)).containsExactly(jdk.array());
    assertThat(Pcm16.encode(new short[] {0x1234})).containsExactly(0x34, 0x12);
  }

  @Test
  void decodesWhatItEncodes() {
    byte[] bytes = Pcm16.encode(SAMPLES);
    assertThat(Pcm16.decode(bytes)).containsExactly(SAMPLES);
    assertThat(Pcm16.decode(ByteBuffer.wrap(bytes).asReadOnlyBuffer())).containsExactly(SAMPLES);
    for (int i = 0; i < SAMPLES.length; i++)
      assertThat(Pcm16.read(bytes, 2 * i)).isEqualTo(SAMPLES[i]);
  }

  @Test
  void ignoresAnOddLastByte() {
    assertThat(Pcm16.decode(new byte[] {1, 0, 7})).containsExactly((short) 1);
    assertThat(Pcm16.decode(ByteBuffer.wrap(new byte[] {1, 0, 7}))).containsExactly((short) 1);
  }

  @Test
  void encodesARangeAtAnOffset() {
    byte[] out = new byte[6];
    Pcm16.encode(SAMPLES, 3, 2, out, 2);
    assertThat(out).containsExactly(0, 0, 0x34, 0x12, 0xff, 0x7f);
  }

  @Test
  void bufferCallsLeaveOrderAndPositionAsTheyWere() {
    ByteBuffer out = ByteBuffer.allocate(2 + SAMPLES.length * 2).order(ByteOrder.BIG_ENDIAN);
    out.put((byte) 9).put((byte) 9);
    Pcm16.put(out, SAMPLES);
    assertThat(out.position()).isEqualTo(out.capacity());
    assertThat(out.order()).isEqualTo(ByteOrder.BIG_ENDIAN);

    ByteBuffer in = ByteBuffer.wrap(out.array()).position(2).order(ByteOrder.BIG_ENDIAN);
    assertThat(Pcm16.decode(in)).containsExactly(SAMPLES);
    assertThat(in.position()).isEqualTo(2);
    assertThat(in.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
  }
}
