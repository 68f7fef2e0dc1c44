package com.mentra.bridge.dsp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The quality targets of the playback and mic paths, measured on pure tones. */
class ResamplerQualityTest {
  private static final double AMPLITUDE = 0.5;

  private static short[] convert(int from, int to, double frequency, int chunk) {
    short[] input = ToneAnalysis.tone(frequency, from, AMPLITUDE, from * 2);
    return ToneAnalysis.resampleInChunks(new Resampler(from, to, 1), input, chunk);
  }

  @ParameterizedTest(name = "44.1 -> 48 kHz, {0} Hz: THD+N <= -80 dB")
  @CsvSource({"1000", "6000", "10000"})
  void upsamplingFromCdRateIsClean(double frequency) {
    short[] out = convert(44100, 48000, frequency, 441);
    double thdn = ToneAnalysis.thdPlusNoiseDb(out, 48000, frequency);
    System.out.printf("44.1->48 kHz %5.0f Hz: THD+N %.1f dB%n", frequency, thdn);
    assertThat(thdn).isLessThanOrEqualTo(-80);
  }

  @Test
  void downsamplingTo16kRemovesAliasesAndKeepsSpeechBand() {
    double alias = ToneAnalysis.levelDb(convert(48000, 16000, 10000, 480), AMPLITUDE);
    double kept = ToneAnalysis.levelDb(convert(48000, 16000, 7000, 480), AMPLITUDE);
    System.out.printf("48->16 kHz: 10 kHz tone at %.1f dB, 7 kHz tone at %.2f dB%n", alias, kept);
    assertThat(alias).isLessThanOrEqualTo(-60);
    assertThat(kept).isBetween(-1.0, 1.0);
  }

  @Test
  void upsamplingFrom16kHasNoImages() {
    short[] out = convert(16000, 48000, 7000, 160);
    double thdn = ToneAnalysis.thdPlusNoiseDb(out, 48000, 7000);
    System.out.printf("16->48 kHz 7 kHz: images+distortion %.1f dB%n", thdn);
    assertThat(thdn).isLessThanOrEqualTo(-65);
  }

  @ParameterizedTest(name = "{0} Hz -> {1} Hz keeps a {2} Hz tone's frequency and level")
  @CsvSource({
    "22050,48000,1000",
    "11025,48000,1000",
    "22050,16000,1000",
    "11025,16000,3000",
    "8000,48000,440",
    "24000,16000,5000"
  })
  void ratesWithoutWhole10msBlocksResampleCorrectly(int from, int to, double frequency) {
    // Chunks of 10 ms rounded down, so the chunk boundaries drift against the rate.
    short[] out = convert(from, to, frequency, from / 100);
    assertThat(out.length).isCloseTo(to * 2, org.assertj.core.data.Offset.offset(2));
    double thdn = ToneAnalysis.thdPlusNoiseDb(out, to, frequency);
    double level = ToneAnalysis.levelDb(out, AMPLITUDE);
    System.out.printf(
        "%d->%d Hz %5.0f Hz: THD+N %.1f dB, level %.2f dB%n", from, to, frequency, thdn, level);
    assertThat(thdn).isLessThanOrEqualTo(-60);
    assertThat(level).isBetween(-0.5, 0.5);
  }

  @Test
  void chunkingDoesNotChangeTheOutput() {
    short[] input = ToneAnalysis.tone(1234, 44100, AMPLITUDE, 44100);
    short[] whole =
        ToneAnalysis.resampleInChunks(new Resampler(44100, 48000, 1), input, input.length);
    short[] pieces = ToneAnalysis.resampleInChunks(new Resampler(44100, 48000, 1), input, 37);
    assertThat(pieces).containsExactly(whole);
  }

  @Test
  void stereoChannelsStayIndependent() {
    short[] left = ToneAnalysis.tone(500, 48000, AMPLITUDE, 48000);
    short[] right = ToneAnalysis.tone(3000, 48000, AMPLITUDE, 48000);
    short[] interleaved = new short[left.length * 2];
    for (int i = 0; i < left.length; i++) {
      interleaved[2 * i] = left[i];
      interleaved[2 * i + 1] = right[i];
    }
    Resampler r = new Resampler(48000, 16000, 2);
    short[] out = ToneAnalysis.concat(r.process(interleaved, 0, left.length), r.flush());
    short[] outLeft = new short[out.length / 2];
    short[] outRight = new short[out.length / 2];
    for (int i = 0; i < outLeft.length; i++) {
      outLeft[i] = out[2 * i];
      outRight[i] = out[2 * i + 1];
    }
    assertThat(ToneAnalysis.thdPlusNoiseDb(outLeft, 16000, 500)).isLessThan(-60);
    assertThat(ToneAnalysis.thdPlusNoiseDb(outRight, 16000, 3000)).isLessThan(-60);
  }
}
