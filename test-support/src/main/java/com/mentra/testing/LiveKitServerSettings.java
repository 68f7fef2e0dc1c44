package com.mentra.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;

/**
 * A livekit-server's settings: its ports (HTTP/WebSocket, ICE/TCP, and ICE/UDP: one port with
 * {@code udpMux}, else a range), its generated API key and secret, the {@code config.yaml} that
 * gives them to the server, and the wait for a started server to answer. The tests' {@link
 * LiveKitServerProcess} and the load tool's own server both start theirs with it; it uses the JDK
 * alone, so the load tool takes this module's jar without its dependencies.
 *
 * <p>Immutable, thread-safe.
 */
public record LiveKitServerSettings(
    int httpPort,
    int tcpPort,
    int udpStart,
    int udpEnd,
    boolean udpMux,
    String apiKey,
    String apiSecret) {

  /**
   * The test layout for base port {@code B} (HTTP/WebSocket {@code B}, ICE/TCP {@code B+1}, ICE/UDP
   * {@code B+10 .. B+109}, or {@code B+10} alone with {@code udpMux}) and a new random key and
   * secret.
   */
  static LiveKitServerSettings generate(int basePort, boolean udpMux) {
    return withNewKeys(
        basePort,
        basePort + 1,
        basePort + 10,
        basePort + LiveKitServerProcess.PORTS_PER_SERVER - 1,
        udpMux);
  }

  /** One UDP port for all media (production's layout) and a new random key and secret. */
  public static LiveKitServerSettings udpMux(int httpPort, int tcpPort, int udpPort) {
    return withNewKeys(httpPort, tcpPort, udpPort, udpPort, true);
  }

  private static LiveKitServerSettings withNewKeys(
      int httpPort, int tcpPort, int udpStart, int udpEnd, boolean udpMux) {
    SecureRandom random = new SecureRandom();
    byte[] key = new byte[16];
    byte[] secret = new byte[32];
    random.nextBytes(key);
    random.nextBytes(secret);
    return new LiveKitServerSettings(
        httpPort,
        tcpPort,
        udpStart,
        udpEnd,
        udpMux,
        "API" + HexFormat.of().formatHex(key),
        HexFormat.of().formatHex(secret));
  }

  /** The server's config file, binding to {@code nodeIp}, logging at {@code logLevel}. */
  public String yaml(String nodeIp, String logLevel) {
    return """
      port: %d
      bind_addresses: ["%s"]
      rtc:
        tcp_port: %d
        %s
        use_external_ip: false
        node_ip: %s
      turn:
        enabled: false
      keys:
        %s: %s
      logging:
        level: %s
      """
        .formatted(
            httpPort,
            nodeIp,
            tcpPort,
            udpMux
                ? "udp_port: " + udpStart
                : "port_range_start: " + udpStart + "\n  port_range_end: " + udpEnd,
            nodeIp,
            apiKey,
            apiSecret,
            logLevel);
  }

  /**
   * Returns once {@code process}, a server started with these settings on {@code nodeIp}, answers
   * HTTP 200 on its port; throws {@link IllegalStateException} when it exits first or does not
   * answer within {@code timeout} (the caller stops it). {@code log} is named in the message.
   */
  public void awaitAnswer(Process process, String nodeIp, Duration timeout, Path log)
      throws InterruptedException {
    String url = "http://" + nodeIp + ":" + httpPort + "/";
    HttpRequest ping =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(1)).GET().build();
    long deadline = System.nanoTime() + timeout.toNanos();
    try (HttpClient http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(1))
            .proxy(HttpClient.Builder.NO_PROXY)
            .build()) {
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException(
              "livekit-server exited with " + process.exitValue() + " on start; see " + log);
        }
        try {
          if (http.send(ping, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) return;
        } catch (IOException notYet) {
          // Not listening yet.
        }
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException(
        "livekit-server did not answer HTTP on "
            + url
            + " within "
            + timeout.toSeconds()
            + " s; see "
            + log);
  }
}
