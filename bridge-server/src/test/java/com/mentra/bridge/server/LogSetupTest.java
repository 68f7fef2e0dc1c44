package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mentra.testing.Poll;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** LOG_FORMAT=json lines carry the replaced service's field names; Better Stack gets batches. */
class LogSetupTest {
  private static final Logger log = LoggerFactory.getLogger("bridge.test");

  @AfterEach
  void restore() {
    LogSetup.restoreDefaults();
  }

  @Test
  void jsonLinesCarryTheFieldNamesOperatorsSearchOn() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LogSetup.configure(
        Map.of(
            "LOG_FORMAT",
            "json",
            "NODE_ENV",
            "staging",
            "SERVER_NAME",
            "bridge-7",
            "REGION",
            "eu-central"),
        "INFO",
        out);
    try (var u = MDC.putCloseable("user_id", "u-1");
        var r = MDC.putCloseable("room", "room-1");
        var q = MDC.putCloseable("request_id", "req-9");
        var t = MDC.putCloseable("track_id", "2");
        var n = MDC.putCloseable("track_name", "tts")) {
      log.info("playback completed after {} ms", 2000);
    }
    log.warn("no session context here");
    List<JsonNode> lines = new ArrayList<>();
    for (String line : out.toString(StandardCharsets.UTF_8).split("\n"))
      if (!line.isBlank()) lines.add(new ObjectMapper().readTree(line));
    System.out.println("JSON log line: " + lines.get(0));
    JsonNode first = lines.get(0);
    assertThat(first.path("message").asText()).isEqualTo("playback completed after 2000 ms");
    assertThat(first.path("userId").asText()).isEqualTo("u-1");
    assertThat(first.path("roomName").asText()).isEqualTo("room-1");
    assertThat(first.path("requestId").asText()).isEqualTo("req-9");
    assertThat(first.path("trackId").asText()).isEqualTo("2");
    assertThat(first.path("trackName").asText()).isEqualTo("tts");
    assertThat(first.path("service").asText()).isEqualTo("livekit-bridge");
    assertThat(first.path("feature").asText()).isEqualTo("livekit-grpc");
    assertThat(first.path("env").asText()).isEqualTo("staging");
    assertThat(first.path("server").asText()).isEqualTo("bridge-7");
    assertThat(first.path("region").asText()).isEqualTo("eu-central");
    assertThat(first.has("user_id")).as("the code's MDC key is renamed, not duplicated").isFalse();
    assertThat(lines.get(1).path("level").asText()).isEqualTo("WARN");
    assertThatThrownBy(() -> LogSetup.configure(Map.of("LOG_FORMAT", "xml"), "INFO", out))
        .hasMessageContaining("LOG_FORMAT");
  }

  @Test
  void betterStackReceivesBatchedEntriesWithTheSourceToken() throws Exception {
    List<String> bodies = new CopyOnWriteArrayList<>();
    List<String> auth = new CopyOnWriteArrayList<>();
    HttpServer receiver =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
    receiver.createContext(
        "/",
        ex -> {
          auth.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
          bodies.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          ex.sendResponseHeaders(202, -1);
          ex.close();
        });
    receiver.start();
    try {
      String url = "http://127.0.0.1:" + receiver.getAddress().getPort();
      LogSetup.configure(
          Map.of(
              "BETTERSTACK_SOURCE_TOKEN",
              "source-token-xyz",
              "BETTERSTACK_INGESTING_HOST",
              url,
              "BETTERSTACK_BATCH_SIZE",
              "5",
              "BETTERSTACK_BATCH_INTERVAL_MS",
              "200"),
          "INFO",
          System.out);
      for (int i = 0; i < 12; i++) {
        try (var u = MDC.putCloseable("user_id", "shipped-" + i)) {
          log.info("shipped line {}", i);
        }
      }
      Poll.until(
          () -> countEntries(bodies) >= 12,
          Duration.ofSeconds(15),
          "12 entries at the receiver, got " + bodies);
      System.out.printf(
          "Better Stack receiver: %d POSTs carrying %d entries%n",
          bodies.size(), countEntries(bodies));
      assertThat(bodies.size()).as("batched: fewer POSTs than entries").isLessThan(12);
      assertThat(auth).allMatch(a -> a.equals("Bearer source-token-xyz"));
      assertThat(String.join("", bodies)).contains("shipped line 11").contains("shipped-11");
    } finally {
      receiver.stop(0);
    }
  }

  private static int countEntries(List<String> bodies) {
    int n = 0;
    for (String body : bodies) {
      try {
        JsonNode json = new ObjectMapper().readTree(body);
        n += json.isArray() ? json.size() : 1;
      } catch (Exception e) {
        n++;
      }
    }
    return n;
  }
}
