package com.mentra.bridge.load;

import java.util.concurrent.atomic.LongAdder;

/**
 * The load's latencies: phone -> client (every session's StreamAudio records into {@link #down})
 * and client -> listener (the uplink bursts the listening phones hear, {@link #up}), per sampling
 * interval and in total, plus the phone packets received. Thread-safe: the histograms and the adder
 * take records from any thread; {@link #takeInterval} and {@link #bank} are the sampler's alone.
 */
final class Latencies {
  /** Phone -> client latency of the current interval, shared by all sessions. */
  final Histogram down = new Histogram();

  /** Client -> listener latency of the current interval. */
  final Histogram up = new Histogram();

  /** Phone packets every session's client received. */
  final LongAdder received = new LongAdder();

  final Histogram downTotal = new Histogram();
  final Histogram upTotal = new Histogram();

  /**
   * Phone -> client latency over the intervals in which other work used less than {@link
   * Sampler#QUIET_OTHER_CORES} of the machine: the run's own figure, not its neighbours'.
   */
  final Histogram downQuiet = new Histogram();

  /** The sampler's, which runs on the run's main thread. */
  private long quietIntervals;

  /** One interval's latencies, taken out of the running histograms. */
  record Interval(Histogram down, Histogram up) {}

  Interval takeInterval() {
    return new Interval(down.snapshotAndReset(), up.snapshotAndReset());
  }

  /** Adds an interval to the totals (and to the quiet figure when the machine was quiet). */
  void bank(Interval interval, boolean quiet) {
    if (quiet) {
      interval.down().addTo(downQuiet);
      quietIntervals++;
    }
    interval.down().drainInto(downTotal);
    interval.up().drainInto(upTotal);
  }

  /** After the drain: what arrived after the last sample joins the totals. */
  void bankRemainder() {
    down.drainInto(downTotal);
    up.drainInto(upTotal);
  }

  long quietIntervals() {
    return quietIntervals;
  }
}
