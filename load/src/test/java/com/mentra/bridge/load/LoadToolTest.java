package com.mentra.bridge.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The load tool's arithmetic: the soak's fits, the latency histogram, the options, the plot. */
class LoadToolTest {
  @Test
  void slopeIsPerHourAndStepsThatStayCountAsGrowth() {
    double[] t = {0, 900, 1800, 2700, 3600};
    assertThat(Trend.slopePerHour(t, new double[] {100, 100.5, 101, 101.5, 102}))
        .isCloseTo(2.0, within(1e-9));
    assertThat(Trend.slopePerHour(t, new double[] {5, 5, 5, 5, 5})).isZero();
    // Threads that come and go are no growth; one that appears and stays is.
    assertThat(Trend.steadyGrowth(new double[] {60, 60, 60, 75, 60, 60, 60, 61, 60}))
        .isLessThanOrEqualTo(0);
    assertThat(Trend.steadyGrowth(new double[] {60, 61, 60, 60, 60, 60, 61, 61, 61}))
        .isLessThanOrEqualTo(0);
    assertThat(Trend.steadyGrowth(new double[] {60, 60, 60, 60, 61, 61, 61, 61, 61}))
        .isEqualTo(1.0);
    assertThat(Trend.steadyGrowth(new double[] {61, 61, 61, 60, 60, 60, 60, 60, 60}))
        .isEqualTo(-1.0);
  }

  @Test
  void histogramPercentilesAndMaximum() {
    Histogram h = new Histogram();
    for (int i = 1; i <= 1000; i++) h.record(i * 100L); // 0.1 .. 100 ms
    assertThat(h.count()).isEqualTo(1000);
    assertThat(h.percentileMs(50)).isCloseTo(50.0, within(0.11));
    assertThat(h.percentileMs(99)).isCloseTo(99.0, within(0.11));
    assertThat(h.maxMs()).isEqualTo(100.0);
    h.record(30_000_000L); // 30 s: a coarse bucket, and the maximum
    assertThat(h.maxMs()).isEqualTo(30_000.0);
    Histogram slow = new Histogram();
    for (int i = 0; i < 99; i++) slow.record(5_000_000L);
    slow.record(250_000_000L); // past the last bucket
    assertThat(slow.percentileMs(50)).isCloseTo(5_000.0, within(10.0));
    assertThat(slow.percentileMs(100)).isEqualTo(250_000.0);
    Histogram total = new Histogram();
    Histogram interval = h.snapshotAndReset();
    interval.drainInto(total);
    assertThat(h.count()).isZero();
    assertThat(Double.isNaN(h.percentileMs(50))).isTrue();
    assertThat(total.count()).isEqualTo(1001);
  }

  @Test
  void optionsAndDurations() {
    assertThat(LoadOptions.duration("90")).isEqualTo(Duration.ofSeconds(90));
    assertThat(LoadOptions.duration("3m")).isEqualTo(Duration.ofMinutes(3));
    assertThat(LoadOptions.duration("24h")).isEqualTo(Duration.ofHours(24));
    assertThat(LoadOptions.duration("500ms")).isEqualTo(Duration.ofMillis(500));
    LoadOptions o =
        LoadOptions.parse(
            new String[] {
              "--soak",
              "--sessions=100",
              "--uplink",
              "0.1",
              "--play",
              "0.1",
              "--phones",
              "/bin/true"
            });
    assertThat(o.duration).isEqualTo(Duration.ofHours(1));
    assertThat(o.sample).isEqualTo(Duration.ofSeconds(30));
    assertThat(o.warmup).isEqualTo(Duration.ofMinutes(10));
    assertThat(o.uplinkSessions()).isEqualTo(10);
    assertThat(o.uplinks(9)).isTrue();
    assertThat(o.uplinks(10)).isFalse();
    assertThat(o.plays(90)).isTrue();
    assertThat(o.plays(89)).isFalse();
    assertThat(o.listeners()).isEqualTo(10);
  }

  @Test
  void plotIsAnSvgWithEveryPanel(@TempDir Path dir) throws Exception {
    List<Sample> samples = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      samples.add(
          new Sample(
              i,
              0.2,
              300 + i * 0.1,
              50,
              400,
              0.3,
              0.2,
              0.05,
              1.2,
              1000,
              1000,
              i * 1000L,
              i * 1000L,
              2,
              10,
              20,
              Double.NaN,
              Double.NaN,
              Double.NaN));
    }
    Path file = dir.resolve("load.svg");
    SvgPlot.write(
        file,
        List.of("title & more", "line"),
        samples,
        3,
        Trend.fit(new double[] {3, 10}, new double[] {300.3, 301}));
    String svg = Files.readString(file);
    assertThat(svg)
        .startsWith("<svg")
        .endsWith("</svg>\n")
        .contains(
            "title &amp; more",
            "CPU (cores)",
            "bridge RSS (MB)",
            "latency (ms)",
            "warm-up ends",
            "MB/h");
  }

  @Test
  void burstsAreMatchedByTheirLength() {
    assertThat(Uplink.burstClass(240)).isZero();
    assertThat(Uplink.burstClass(260)).isZero();
    assertThat(Uplink.burstClass(340)).isEqualTo(1);
    assertThat(Uplink.burstClass(460)).isEqualTo(2);
    assertThat(Uplink.burstClass(560)).isEqualTo(3);
    assertThat(Uplink.burstClass(200)).isEqualTo(-1);
    assertThat(Uplink.burstClass(300)).isEqualTo(-1);
    assertThat(Uplink.burstClass(700)).isEqualTo(-1);
    Session s = new Session(0, new Histogram(), new java.util.concurrent.atomic.LongAdder());
    for (int k = 0; k < 8; k++) s.burstSent(1_000_000L * k, k % 4);
    // Heard 1.5 s after the burst of class 1 sent at 5 s (the one at 1 s is older), not 0.5 s after
    // another.
    assertThat(s.burstLatency(6_500_000L, 1)).isEqualTo(1_500_000L);
    assertThat(s.burstLatency(6_500_000L, 2)).isEqualTo(500_000L);
    assertThat(s.burstLatency(500_000L, 3)).isEqualTo(-1);
  }

  @Test
  @SuppressWarnings("unchecked")
  void bridgeMetricsHistogramsBecomeCountMeanAndBounds() {
    var m =
        BridgeMetricsScrape.parse(
            """
        # HELP livekit_bridge_clock_tick_lateness_seconds x
        livekit_bridge_clock_tick_lateness_seconds_bucket{le="0.001"} 90
        livekit_bridge_clock_tick_lateness_seconds_bucket{le="0.01"} 99
        livekit_bridge_clock_tick_lateness_seconds_bucket{le="+Inf"} 100
        livekit_bridge_clock_tick_lateness_seconds_count 100
        livekit_bridge_clock_tick_lateness_seconds_sum 0.5
        livekit_bridge_downlink_latency_seconds_bucket{source="DATA_PACKET",le="0.001"} 10
        livekit_bridge_downlink_latency_seconds_bucket{source="DATA_PACKET",le="+Inf"} 10
        livekit_bridge_downlink_latency_seconds_count{source="DATA_PACKET"} 10
        livekit_bridge_downlink_latency_seconds_sum{source="DATA_PACKET"} 0.002
        livekit_bridge_downlink_dropped_chunks_total 3.0
        jvm_threads 5
        """);
    var tick = (java.util.Map<String, Object>) m.get("livekit_bridge_clock_tick_lateness_seconds");
    assertThat(tick)
        .containsEntry("count", 100L)
        .containsEntry("mean", 0.005)
        .containsEntry("p50_le", 0.001)
        .containsEntry("p99_le", 0.01);
    assertThat(
            (java.util.Map<String, Object>)
                m.get("livekit_bridge_downlink_latency_seconds{source=\"DATA_PACKET\"}"))
        .containsEntry("count", 10L);
    assertThat(m)
        .containsEntry("livekit_bridge_downlink_dropped_chunks_total", 3.0)
        .doesNotContainKey("jvm_threads");
  }

  @Test
  void anIntervalIsBankedIntoTheTotalsAndTheQuietFigureOnlyWhenQuiet() {
    Latencies l = new Latencies();
    l.down.record(2_000);
    l.up.record(300_000);
    Latencies.Interval loud = l.takeInterval();
    assertThat(loud.down().count()).isEqualTo(1);
    l.bank(loud, false);
    // bank() drains the interval: a sample's figures must be read before it.
    assertThat(loud.down().count()).isZero();
    l.down.record(4_000);
    l.bank(l.takeInterval(), true);
    assertThat(l.downTotal.count()).isEqualTo(2);
    assertThat(l.upTotal.count()).isEqualTo(1);
    assertThat(l.downQuiet.count()).isEqualTo(1);
    assertThat(l.quietIntervals()).isEqualTo(1);
  }
}
