package com.mentra.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Wav, Tones and Spectrum on their own (no server, no namespace needed). */
class SignalToolsTest {
  @Test
  void dominantFrequencyIsPreciseToHundredthsOfAHertz() {
    for (double f : new double[] {440, 440.37, 1000, 3333.3}) {
      for (int rate : new int[] {16_000, 48_000}) {
        short[] tone = Tones.sine(f, rate, 8000, 500);
        assertThat(Spectrum.dominantFrequency(tone, rate))
            .as("%s Hz at %d Hz", f, rate)
            .isCloseTo(f, within(0.05));
      }
    }
  }

  @Test
  void dominantFrequencyWithinARangeIgnoresALouderToneOutsideIt() {
    short[] loud = Tones.sine(1000, 48_000, 12_000, 400);
    short[] quiet = Tones.sine(300, 48_000, 2_000, 400);
    short[] mix = new short[loud.length];
    for (int i = 0; i < mix.length; i++) mix[i] = (short) (loud[i] + quiet[i]);
    assertThat(Spectrum.dominantFrequency(mix, 48_000)).isCloseTo(1000, within(0.1));
    assertThat(Spectrum.dominantFrequency(mix, 48_000, 100, 500)).isCloseTo(300, within(0.1));
  }

  @Test
  void dominantFrequencyIgnoresADcOffset() {
    short[] tone = Tones.sine(50, 16_000, 3000, 1000);
    for (int i = 0; i < tone.length; i++) tone[i] += 5000;
    assertThat(Spectrum.dominantFrequency(tone, 16_000)).isCloseTo(50, within(0.05));
  }

  @Test
  void levelsAndGaps() {
    assertThat(Spectrum.rmsDbfs(Tones.sine(440, 48_000, 32_767, 1000)))
        .isCloseTo(-3.01, within(0.05));
    assertThat(Spectrum.rmsDbfs(new short[480])).isEqualTo(Double.NEGATIVE_INFINITY);
    short[] withGap =
        Tones.concat(
            Tones.sine(440, 48_000, 8000, 300),
            Tones.silence(48_000, 200),
            Tones.sine(440, 48_000, 8000, 300));
    assertThat(Spectrum.longestGapMs(withGap, 48_000, -50)).isBetween(195.0, 205.0);
    assertThat(Spectrum.longestGapMs(Tones.sine(440, 48_000, 8000, 500), 48_000, -50)).isZero();
    assertThat(
            Spectrum.firstSoundIndex(
                Tones.concat(Tones.silence(48_000, 100), Tones.sine(440, 48_000, 8000, 100)),
                48_000,
                -40))
        .isBetween(4560, 4800);
  }

  @Test
  void wavRoundTripsStereo(@TempDir Path dir) throws IOException {
    short[] left = Tones.sine(440, 44_100, 9000, 250);
    short[] stereo = new short[left.length * 2];
    for (int i = 0; i < left.length; i++) {
      stereo[2 * i] = left[i];
      stereo[2 * i + 1] = (short) -left[i];
    }
    Path file = dir.resolve("stereo.wav");
    Wav.write(file, stereo, 44_100, 2);
    Wav.Audio audio = Wav.read(file);
    assertThat(audio.sampleRate()).isEqualTo(44_100);
    assertThat(audio.channels()).isEqualTo(2);
    assertThat(audio.samples()).isEqualTo(stereo);
    assertThat(audio.channel(0)).isEqualTo(left);
    assertThat(audio.frames()).isEqualTo(left.length);
    assertThat(audio.durationMs()).isCloseTo(250, within(0.1));
    assertThat(Spectrum.rmsDbfs(audio.mono())).isEqualTo(Double.NEGATIVE_INFINITY);
  }

  @Test
  void wavRejectsWhatItCannotRead(@TempDir Path dir) throws IOException {
    Path notWav = dir.resolve("x.wav");
    Files.writeString(notWav, "hello, not a wav file");
    assertThatThrownBy(() -> Wav.read(notWav))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not a WAV");
    byte[] eightBit = Wav.bytes(new Wav.Audio(new short[10], 8000, 1));
    eightBit[34] = 8;
    assertThatThrownBy(() -> Wav.read(eightBit, "8-bit"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("16-bit");
  }
}
