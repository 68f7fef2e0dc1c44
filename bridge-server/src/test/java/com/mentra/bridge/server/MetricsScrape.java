package com.mentra.bridge.server;

import com.mentra.testing.TestEnvironment;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** One scrape of a bridge's /metrics, parsed from the Prometheus text format. */
record MetricsScrape(String text, Map<String, Double> samples) {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  static MetricsScrape of(BridgeServer bridge) throws Exception {
    URI uri =
        URI.create(
            "http://" + TestEnvironment.get().nodeIp() + ":" + bridge.metricsPort() + "/metrics");
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200)
      throw new AssertionError("GET " + uri + " answered " + response.statusCode());
    Map<String, Double> samples = new HashMap<>();
    for (String line : response.body().split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      int space = line.lastIndexOf(' ');
      samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return new MetricsScrape(response.body(), samples);
  }

  /** The sample's value; 0 when the series does not exist (yet). */
  double value(String series) {
    return samples.getOrDefault(series, 0.0);
  }
}
