package com.mentra.bridge.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The soak's fit over the samples after the warm-up, and the reasons it fails. */
class SoakVerdictTest {
  private static final Map<String, Object> CLEAN_DROPS =
      Map.of("unaccounted", 0L, "stream_errors", 0L);

  /**
   * A sample a minute: RSS from {@code rss}, threads and FDs from {@code threads} and {@code fds}.
   */
  private static List<Sample> samples(double[] rss, int[] threads, int[] fds) {
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < rss.length; i++) {
      samples.add(
          new Sample(
              60.0 * (i + 1),
              0.2,
              rss[i],
              threads[i],
              fds[i],
              0.1,
              0.1,
              0.01,
              1,
              100,
              100,
              100L * i,
              100L * i,
              1,
              2,
              3,
              Double.NaN,
              Double.NaN,
              Double.NaN));
    }
    return samples;
  }

  @Test
  void fitsOnlyTheSamplesAfterTheWarmUp() {
    // The first two minutes grow fast (heap sizing), the rest by 1 MB a minute: 60 MB/h.
    List<Sample> s =
        samples(
            new double[] {100, 200, 300, 301, 302, 303, 304},
            new int[] {50, 60, 60, 60, 60, 60, 60},
            new int[] {90, 99, 99, 99, 99, 99, 99});
    Map<String, Object> t = SoakVerdict.trends(s, Duration.ofSeconds(180));
    assertThat(t)
        .containsEntry("warmup_s", 180.0)
        .containsEntry("samples_fitted", 5)
        .containsEntry("window_s", 240.0)
        .containsEntry("threads_growth", 0.0)
        .containsEntry("fds_growth", 0.0)
        .containsEntry("rss_mb_first", 300.0)
        .containsEntry("rss_mb_last", 304.0)
        .containsEntry("threads_range", List.of(60, 60))
        .containsEntry("fds_range", List.of(99, 99));
    assertThat((Double) t.get("rss_mb_per_h")).isCloseTo(60.0, within(1e-9));
    assertThat(SoakVerdict.failures(t, CLEAN_DROPS, 0, Double.POSITIVE_INFINITY)).isEmpty();
    assertThat(SoakVerdict.failures(t, CLEAN_DROPS, 0, 100)).isEmpty();
    assertThat(SoakVerdict.failures(t, CLEAN_DROPS, 0, 50))
        .containsExactly("RSS grows 60.00 MB/h (gate 50.00)");
  }

  @Test
  void theLowWaterFitIgnoresASawtoothsLastPeaksButNotARise() {
    // 30 minutes flat at 300 MB with a peak every fifth minute, the last three minutes high:
    // the straight line rises, the 5-minute lows do not.
    double[] sawtooth = new double[30];
    double[] rising = new double[30];
    for (int i = 0; i < 30; i++) {
      sawtooth[i] = i >= 27 ? 310 : i % 5 == 4 ? 308 : 300;
      rising[i] = 300 + 0.1 * i + (i % 5 == 4 ? 8 : 0);
    }
    int[] threads = new int[30];
    int[] fds = new int[30];
    Map<String, Object> flat = SoakVerdict.trends(samples(sawtooth, threads, fds), Duration.ZERO);
    assertThat((Double) flat.get("rss_mb_per_h")).isGreaterThan(5);
    assertThat((Double) flat.get("rss_lows_mb_per_h")).isCloseTo(0.0, within(1e-9));
    assertThat(flat).containsEntry("rss_lows_window_s", 300);
    Map<String, Object> rise = SoakVerdict.trends(samples(rising, threads, fds), Duration.ZERO);
    assertThat((Double) rise.get("rss_lows_mb_per_h")).isCloseTo(6.0, within(1e-9));
    // Information only: the gate stays on the straight line through every sample.
    assertThat(SoakVerdict.failures(flat, CLEAN_DROPS, 0, 2)).hasSize(1);
  }

  @Test
  void aLastWindowShorterThanHalfAWindowIsNotALow() {
    double[] t = {0, 100, 200, 300, 400, 500, 600, 620};
    double[] y = {5, 4, 6, 3, 7, 8, 9, 1};
    double[][] lows = Trend.windowLows(t, y, 300);
    assertThat(lows[0]).containsExactly(100, 300);
    assertThat(lows[1]).containsExactly(4, 3);
    double[][] none = Trend.windowLows(new double[0], new double[0], 300);
    assertThat(none[0]).isEmpty();
  }

  @Test
  void aThreadOrDescriptorThatStaysFailsTheSoak() {
    List<Sample> s =
        samples(
            new double[] {300, 300, 300, 300, 300, 300},
            new int[] {60, 60, 61, 61, 62, 62},
            new int[] {99, 99, 99, 99, 100, 100});
    Map<String, Object> t = SoakVerdict.trends(s, Duration.ZERO);
    assertThat(SoakVerdict.failures(t, CLEAN_DROPS, 0, Double.POSITIVE_INFINITY))
        .containsExactly(
            "threads grew by 2.0 (lowest of the last third of the samples against the highest of the first)",
            "FDs grew by 1.0 (lowest of the last third of the samples against the highest of the first)");
  }

  @Test
  void lostPacketsStreamErrorsFailedJoinsAndTooFewSamplesFailTheSoak() {
    Map<String, Object> t =
        SoakVerdict.trends(
            samples(new double[] {300, 300}, new int[] {60, 60}, new int[] {99, 99}),
            Duration.ZERO);
    Map<String, Object> drops = new HashMap<>(Map.of("unaccounted", 7L, "stream_errors", 2L));
    assertThat(SoakVerdict.failures(t, drops, 3, Double.POSITIVE_INFINITY))
        .containsExactly(
            "only 2 samples after the warm-up: nothing to fit",
            "7 phone packets neither received nor counted as dropped or lost",
            "2 StreamAudio calls ended with an error",
            "3 sessions did not join");
  }

  @Test
  void noSampleAfterTheWarmUpIsAFailureNotAnError() {
    Map<String, Object> t =
        SoakVerdict.trends(
            samples(new double[] {300}, new int[] {60}, new int[] {99}), Duration.ofHours(1));
    assertThat(t)
        .containsEntry("samples_fitted", 0)
        .containsEntry("window_s", 0.0)
        .containsEntry("threads_range", List.of());
    assertThat(Double.isNaN((Double) t.get("rss_mb_per_h"))).isTrue();
    // NaN slope against a finite gate fails too: no figure is no pass.
    assertThat(SoakVerdict.failures(t, CLEAN_DROPS, 0, 10))
        .containsExactly(
            "only 0 samples after the warm-up: nothing to fit", "RSS grows NaN MB/h (gate 10.00)");
  }

  @Test
  @SuppressWarnings("unchecked")
  void jsonLinesWriteNaNAndInfinitiesAsNull() {
    Map<String, Object> m =
        (Map<String, Object>)
            JsonLines.sanitize(
                Map.of("a", Double.NaN, "b", List.of(1.0, Double.POSITIVE_INFINITY)));
    assertThat(m).containsEntry("a", null).containsEntry("b", java.util.Arrays.asList(1.0, null));
  }
}
