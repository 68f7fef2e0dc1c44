package com.mentra.bridge.audio.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * {@link DecodedAudioStream#declaredDurationMs()} right after opening, before any audio is read:
 * what WAV headers, LAME's Info frame, VBRI frames and raw PCM's length declare, 0 when nothing
 * does, and hostile headers that declare absurd lengths or tag sizes only give absurd numbers.
 */
class DeclaredDurationTest {
  private static final double[] TWO_SECONDS_16K = Fixtures.tone(440, 16_000, 2.0);
  private static final double[] TWO_SECONDS_44K = Fixtures.tone(440, 44_100, 2.0);

  @Test
  void wavDeclaresItsDataChunk() throws Exception {
    byte[] wav = Fixtures.wav("pcm16", TWO_SECONDS_16K, 16_000, 2);
    assertThat(declared(wav, null, -1)).isCloseTo(2000, within(30L));
  }

  @Test
  void aStreamedWavWithoutADataSizeDeclaresWhatItsContentLengthLeaves() throws Exception {
    byte[] wav = withWavDataSize(Fixtures.wav("pcm16", TWO_SECONDS_16K, 16_000, 1), 0xFFFFFFFFL);
    assertThat(declared(wav, null, wav.length)).isCloseTo(2000, within(30L));
    assertThat(declared(wav, null, -1)).isZero();
  }

  @Test
  void aWavWithABogusHugeDataSizeReportsItAndFailsOnlyWhereTheBytesEnd() throws Exception {
    byte[] wav = withWavDataSize(Fixtures.wav("pcm16", TWO_SECONDS_16K, 16_000, 1), 0xFFFFFFFEL);
    try (DecodedAudioStream stream = open(wav, null, wav.length)) {
      assertThat(stream.declaredDurationMs())
          .as("what the header says")
          .isEqualTo(0xFFFFFFFEL / 2 * 1000 / 16_000);
      short[] buffer = new short[4096];
      assertThatThrownBy(
              () -> {
                while (stream.read(buffer) >= 0) {
                  // drain
                }
              })
          .isInstanceOf(DecodeException.class)
          .hasMessageContaining("truncated");
    }
  }

  @Test
  void aLameMp3DeclaresItsInfoFrameLessDelayAndPadding() throws Exception {
    assertThat(declared(Fixtures.mp3(TWO_SECONDS_44K, 44_100, 2), null, -1))
        .isCloseTo(2000, within(30L));
    assertThat(declared(Fixtures.mp3(TWO_SECONDS_16K, 16_000, 1), null, -1))
        .as("MPEG-2")
        .isCloseTo(2000, within(30L));
  }

  @Test
  void anMp3WithoutAXingFrameDeclaresNothing() throws Exception {
    byte[] mp3 = Fixtures.mp3(TWO_SECONDS_44K, 44_100, 2, "-t");
    assertThat(indexOf(mp3, "Xing")).isNegative();
    assertThat(indexOf(mp3, "Info")).isNegative();
    assertThat(declared(mp3, "audio/mpeg", mp3.length)).isZero();
  }

  @Test
  void anMp3DeclaresItsDurationAfterABigId3Tag() throws Exception {
    byte[] mp3 = Fixtures.mp3(TWO_SECONDS_44K, 44_100, 2);
    byte[] tagged =
        concat(id3(100_000), new byte[100_000], mp3); // cover art: more than any peek buffer
    try (DecodedAudioStream stream = open(tagged, null, -1)) {
      assertThat(stream.declaredDurationMs()).isCloseTo(2000, within(30L));
      assertThat(playedMs(stream)).as("the tag is not played").isCloseTo(2000, within(10L));
    }
  }

  @Test
  void anId3TagClaiming256MBIsStreamedPastNotAllocated() {
    byte[] hostile = concat(id3(0x0FFF_FFFF), new byte[1000]);
    assertThatThrownBy(() -> open(hostile, null, -1))
        .isInstanceOf(DecodeException.class)
        .hasMessageContaining("ID3");
  }

  @Test
  void anAbsurdXingFrameCountIsReportedWithoutOverflow() throws Exception {
    byte[] mp3 = Fixtures.mp3(TWO_SECONDS_44K, 44_100, 2);
    int info = indexOf(mp3, "Info");
    assertThat(mp3[info + 7] & 1).as("frame count present").isEqualTo(1);
    Arrays.fill(mp3, info + 8, info + 12, (byte) 0xff);
    assertThat(declared(mp3, null, -1)).isCloseTo(0xFFFFFFFFL * 1152 * 1000 / 44_100, within(100L));
  }

  @Test
  void aVbriFrameDeclaresItsFrameCountAndIsNotPlayed() throws Exception {
    byte[] plain = Fixtures.mp3(TWO_SECONDS_44K, 44_100, 2, "-t");
    byte[] vbri =
        new byte[144 * 128_000 / 44_100]; // MPEG-1 layer III, 128 kb/s, 44.1 kHz, no padding
    System.arraycopy(plain, 0, vbri, 0, 4);
    vbri[2] &= ~0x02;
    ByteBuffer.wrap(vbri, 36, 18)
        .put("VBRI".getBytes(StandardCharsets.US_ASCII))
        .putShort((short) 1)
        .putShort((short) 0)
        .putShort((short) 75)
        .putInt(plain.length)
        .putInt(77);
    byte[] withVbri = concat(vbri, plain);
    try (DecodedAudioStream plainStream = open(plain, null, -1);
        DecodedAudioStream stream = open(withVbri, null, -1)) {
      assertThat(stream.declaredDurationMs()).isEqualTo(77L * 1152 * 1000 / 44_100);
      assertThat(playedMs(stream)).isEqualTo(playedMs(plainStream));
    }
  }

  @Test
  void l16DeclaresItsContentLength() throws Exception {
    byte[] pcm = Fixtures.pcm(TWO_SECONDS_16K, 2, 2, true, false);
    String type = "audio/L16;rate=16000;channels=2";
    assertThat(declared(pcm, type, pcm.length)).isCloseTo(2000, within(30L));
    assertThat(declared(pcm, type, -1)).as("chunked: unknown").isZero();
    assertThat(declared(pcm, type, Long.MAX_VALUE)).as("absurd length").isPositive();
  }

  @Test
  void oggOpusDeclaresNothing() throws Exception {
    byte[] opus = Fixtures.opus(Fixtures.tone(440, 48_000, 2.0), 48_000, 1);
    assertThat(declared(opus, null, opus.length)).isZero();
  }

  private static DecodedAudioStream open(byte[] bytes, String type, long contentLength)
      throws IOException {
    return AudioDecoders.open(new ByteArrayInputStream(bytes), type, "fixture", contentLength);
  }

  private static long declared(byte[] bytes, String type, long contentLength) throws IOException {
    try (DecodedAudioStream stream = open(bytes, type, contentLength)) {
      return stream.declaredDurationMs();
    }
  }

  private static long playedMs(DecodedAudioStream stream) throws IOException {
    short[] buffer = new short[4096 * stream.channels()];
    long frames = 0;
    for (int n; (n = stream.read(buffer)) >= 0; ) frames += n;
    return frames * 1000 / stream.sampleRate();
  }

  /** A WAV from {@link Fixtures#wav} (16-byte fmt chunk) with its data size replaced. */
  private static byte[] withWavDataSize(byte[] wav, long size) {
    ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN).putInt(40, (int) size);
    return wav;
  }

  /** An ID3v2.4 header declaring {@code size} bytes of tag. */
  private static byte[] id3(int size) {
    return new byte[] {
      'I',
      'D',
      '3',
      4,
      0,
      0,
      (byte) (size >> 21 & 0x7f),
      (byte) (size >> 14 & 0x7f),
      (byte) (size >> 7 & 0x7f),
      (byte) (size & 0x7f)
    };
  }

  private static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] p : parts) length += p.length;
    ByteBuffer b = ByteBuffer.allocate(length);
    for (byte[] p : parts) b.put(p);
    return b.array();
  }

  private static int indexOf(byte[] b, String tag) {
    byte[] t = tag.getBytes(StandardCharsets.US_ASCII);
    outer:
    for (int i = 0; i + t.length <= Math.min(b.length, 4096); i++) {
      for (int j = 0; j < t.length; j++) if (b[i + j] != t[j]) continue outer;
      return i;
    }
    return -1;
  }
}
