package com.mentra.bridge.load;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The bridge's own view, from its Prometheus endpoint: counters as they are, and for each histogram
 * (per label set) its count, mean and the bucket bounds that hold its p50 and p99, so the load
 * tool's end-to-end latencies can be set against the time spent inside the bridge.
 */
final class BridgeMetricsScrape {
  private BridgeMetricsScrape() {}

  /** {@code livekit_bridge_*} figures from {@code url}; an empty map when it does not answer. */
  static Map<String, Object> scrape(String url) {
    String text;
    try {
      text = fetch(url);
    } catch (Exception e) {
      return Map.of("error", String.valueOf(e));
    }
    return parse(text);
  }

  /** The exposition text at {@code url}: 2 s to connect, 5 s for the answer, no proxy. */
  static String fetch(String url) throws IOException, InterruptedException {
    HttpClient http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2))
            .proxy(HttpClient.Builder.NO_PROXY)
            .build();
    return http.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  static Map<String, Object> parse(String text) {
    Map<String, Object> out = new TreeMap<>();
    Map<String, TreeMap<Double, Double>> buckets = new LinkedHashMap<>();
    Map<String, double[]> sumCount = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (!line.startsWith("livekit_bridge_")) continue;
      int space = line.lastIndexOf(' ');
      if (space < 0) continue;
      String series = line.substring(0, space);
      double value;
      try {
        value = Double.parseDouble(line.substring(space + 1));
      } catch (NumberFormatException e) {
        continue;
      }
      String name = series.contains("{") ? series.substring(0, series.indexOf('{')) : series;
      String labels = series.contains("{") ? series.substring(series.indexOf('{')) : "";
      if (name.endsWith("_bucket")) {
        String le = labels.replaceAll(".*le=\"([^\"]*)\".*", "$1");
        String rest = labels.replaceAll(",?le=\"[^\"]*\"", "").replace("{}", "");
        String key = name.substring(0, name.length() - "_bucket".length()) + rest;
        buckets
            .computeIfAbsent(key, k -> new TreeMap<>())
            .put(le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le), value);
      } else if (name.endsWith("_sum") || name.endsWith("_count")) {
        boolean isSum = name.endsWith("_sum");
        String key = name.substring(0, name.length() - (isSum ? 4 : 6)) + labels;
        sumCount.computeIfAbsent(key, k -> new double[2])[isSum ? 0 : 1] = value;
      } else if (!name.endsWith("_created")) {
        out.put(series, value);
      }
    }
    buckets.forEach(
        (key, cumulative) -> {
          double[] sc = sumCount.getOrDefault(key, new double[2]);
          double total = sc[1];
          Map<String, Object> h = new LinkedHashMap<>();
          h.put("count", (long) total);
          if (total > 0) {
            h.put("mean", sc[0] / total);
            h.put("p50_le", bound(cumulative, total * 0.5));
            h.put("p99_le", bound(cumulative, total * 0.99));
          }
          out.put(key, h);
        });
    return out;
  }

  /** The smallest bucket bound whose cumulative count reaches {@code rank}. */
  private static Object bound(TreeMap<Double, Double> cumulative, double rank) {
    for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
      if (e.getValue() >= rank) return e.getKey().isInfinite() ? "+Inf" : e.getKey();
    }
    return "+Inf";
  }
}
