package com.mentra.bridge.audio;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class TrackCadenceTest {
  private static boolean silent(short[] frame) {
    for (short s : frame) if (s != 0) return false;
    return true;
  }

  @Test
  void aFreshTrackHoldsItsFirstSoundUntilAListenerIsAttached() {
    AtomicBoolean listening = new AtomicBoolean();
    TrackCadence cadence = new TrackCadence(listening::get, 500);
    for (int tick = 0; tick < 12; tick++) {
      assertThat(cadence.admit(true)).as("tick %d, nobody listening", tick).isFalse();
      assertThat(silent(cadence.fill(480))).isTrue();
    }
    listening.set(true);
    assertThat(cadence.admit(true))
        .as("listener attached after 120 ms: no DTX yet, no pre-roll")
        .isTrue();
    assertThat(cadence.holding()).isFalse();
  }

  @Test
  void theHoldIsBoundedWhenNobodyAttaches() {
    TrackCadence cadence = new TrackCadence(() -> false, 100);
    int held = 0;
    while (!cadence.admit(true)) held++;
    // 100 ms of silence (under the DTX threshold, so no pre-roll), then the sound.
    assertThat(held).isEqualTo(10);
  }

  @Test
  void aSoundAfterDtxSilenceIsPrecededByInaudibleNoise() {
    TrackCadence cadence = new TrackCadence(() -> true, 500);
    assertThat(cadence.admit(true)).isTrue();
    for (int tick = 0; tick < TrackCadence.DTX_AFTER_MS / 10 - 1; tick++) {
      assertThat(cadence.admit(false)).isFalse();
      assertThat(silent(cadence.fill(480))).isTrue();
    }
    assertThat(cadence.admit(true))
        .as("silence just under the DTX threshold: the sound goes at once")
        .isTrue();
    for (int tick = 0; tick < TrackCadence.DTX_AFTER_MS / 10; tick++) cadence.admit(false);
    for (int tick = 0; tick < TrackCadence.PRE_ROLL_MS / 10; tick++) {
      assertThat(cadence.admit(true)).isFalse();
      short[] noise = cadence.fill(480);
      double sum = 0;
      for (short s : noise) sum += (double) s * s;
      double dbfs = 20 * Math.log10(Math.sqrt(sum / noise.length) / 32768);
      assertThat(dbfs).as("pre-roll level").isBetween(-66.0, -56.0);
    }
    assertThat(cadence.admit(true)).isTrue();
    assertThat(cadence.admit(true)).as("then the sound flows").isTrue();
  }

  @Test
  void thePreRollRunsWhileTheSoundIsStillComing() {
    TrackCadence cadence = new TrackCadence(() -> true, 500);
    for (int tick = 0; tick < 50; tick++) cadence.admit(false, false);
    for (int tick = 0; tick < TrackCadence.PRE_ROLL_MS / 10; tick++) {
      assertThat(cadence.admit(false, true)).isFalse();
      assertThat(silent(cadence.fill(480))).as("pre-roll while fetching").isFalse();
    }
    assertThat(cadence.admit(false, true)).isFalse();
    assertThat(silent(cadence.fill(480)))
        .as("codec awake: silence while the sound is still coming")
        .isTrue();
    assertThat(cadence.admit(true, true)).as("the sound goes out as soon as it is ready").isTrue();
  }

  @Test
  void aForcedSoundFrameCountsAsSound() {
    TrackCadence cadence = new TrackCadence(() -> false, 500);
    cadence.sound();
    assertThat(cadence.holding()).isFalse();
    assertThat(cadence.admit(true)).isTrue();
  }
}
