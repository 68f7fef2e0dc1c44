package com.mentra.bridge.load;

/**
 * Latencies in 100 µs buckets up to 1 s and 10 ms buckets up to 100 s (longer ones share the last
 * bucket; the maximum is kept exactly). Constant memory, so a 24-hour soak keeps its percentiles
 * without keeping samples. Thread-safe.
 */
final class Histogram {
  private static final int FINE_MICROS = 100;
  private static final int FINE = 10_000; // up to 1 s
  private static final int COARSE_MICROS = 10_000;
  private static final int COARSE = 9_900; // 1 s .. 100 s
  private static final int BUCKETS = FINE + COARSE;
  private final long[] counts = new long[BUCKETS];
  private long total;
  private long maxMicros = Long.MIN_VALUE;
  private long negative;

  synchronized void record(long micros) {
    if (micros < 0) {
      negative++; // a clock step between the two stamps; counted, not binned
      micros = 0;
    }
    counts[bucket(micros)]++;
    total++;
    if (micros > maxMicros) maxMicros = micros;
  }

  private static int bucket(long micros) {
    if (micros < (long) FINE * FINE_MICROS) return (int) (micros / FINE_MICROS);
    return (int) Math.min(BUCKETS - 1, FINE + (micros - (long) FINE * FINE_MICROS) / COARSE_MICROS);
  }

  /** The upper edge of bucket {@code i} in microseconds. */
  private static long upperMicros(int i) {
    return i < FINE
        ? (long) (i + 1) * FINE_MICROS
        : (long) FINE * FINE_MICROS + (long) (i - FINE + 1) * COARSE_MICROS;
  }

  synchronized long count() {
    return total;
  }

  /** The {@code p}-th percentile in milliseconds (upper edge of its bucket), NaN when empty. */
  synchronized double percentileMs(double p) {
    if (total == 0) return Double.NaN;
    long rank = (long) Math.ceil(total * p / 100.0);
    if (rank < 1) rank = 1;
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts[i];
      if (seen >= rank)
        return (i == BUCKETS - 1 ? maxMicros : Math.min(upperMicros(i), maxMicros)) / 1000.0;
    }
    return maxMicros / 1000.0;
  }

  synchronized double maxMs() {
    return total == 0 ? Double.NaN : maxMicros / 1000.0;
  }

  /** Moves this histogram's counts into {@code into} and clears this one. */
  synchronized void drainInto(Histogram into) {
    synchronized (into) {
      for (int i = 0; i < BUCKETS; i++) {
        if (counts[i] != 0) {
          into.counts[i] += counts[i];
          counts[i] = 0;
        }
      }
      into.total += total;
      into.negative += negative;
      if (maxMicros > into.maxMicros) into.maxMicros = maxMicros;
    }
    total = 0;
    negative = 0;
    maxMicros = Long.MIN_VALUE;
  }

  /** Adds this histogram's counts to {@code into}, keeping them here too. */
  synchronized void addTo(Histogram into) {
    synchronized (into) {
      for (int i = 0; i < BUCKETS; i++) into.counts[i] += counts[i];
      into.total += total;
      into.negative += negative;
      if (maxMicros > into.maxMicros) into.maxMicros = maxMicros;
    }
  }

  /** A copy, for reading an interval while recording goes on. */
  synchronized Histogram snapshotAndReset() {
    Histogram copy = new Histogram();
    drainInto(copy);
    return copy;
  }
}
