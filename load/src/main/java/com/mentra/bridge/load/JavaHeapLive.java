package com.mentra.bridge.load;

/**
 * What the bridge's Java heap held after its last collection: the sum of {@code
 * jvm_memory_pool_collection_used_bytes} over its pools (for G1: old gen and survivors; eden is
 * empty after a collection) on the bridge's Prometheus endpoint. A soak reads it beside the heap's
 * resident pages: G1 touching a region for the first time raises RSS for good with the live data
 * flat, a leak raises both. Between mixed collections promoted garbage raises it too, so read its
 * trend over the run (the soak fits every reading after the warm-up), not one value. Stateless.
 */
final class JavaHeapLive {
  private static final String SERIES = "jvm_memory_pool_collection_used_bytes";

  private JavaHeapLive() {}

  /** MB from {@code metricsUrl}; NaN when it does not answer or has no such series. */
  static double readMb(String metricsUrl) {
    try {
      String text = BridgeMetricsScrape.fetch(metricsUrl);
      return parseMb(text);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Double.NaN;
    } catch (Exception e) {
      return Double.NaN;
    }
  }

  /** The sum of the series' values in the exposition text, in MB; NaN when absent. */
  static double parseMb(String exposition) {
    double bytes = 0;
    boolean found = false;
    for (String line : exposition.split("\n")) {
      if (!line.startsWith(SERIES + "{")) continue;
      int space = line.lastIndexOf(' ');
      try {
        bytes += Double.parseDouble(line.substring(space + 1));
        found = true;
      } catch (NumberFormatException e) {
        return Double.NaN;
      }
    }
    return found ? bytes / 1048576.0 : Double.NaN;
  }
}
