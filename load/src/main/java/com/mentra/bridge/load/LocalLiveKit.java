package com.mentra.bridge.load;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;

/**
 * A livekit-server this tool starts (the binary scripts/lib.sh builds) with generated keys, bound
 * to the namespace's node address, with one UDP port for all media (production's layout).
 */
final class LocalLiveKit implements AutoCloseable {
  final String url;
  final String apiKey;
  final String apiSecret;
  private final Process process;

  LocalLiveKit(Path binary, String nodeIp, int port, Path dir)
      throws IOException, InterruptedException {
    SecureRandom random = new SecureRandom();
    byte[] key = new byte[12];
    byte[] secret = new byte[32];
    random.nextBytes(key);
    random.nextBytes(secret);
    apiKey = "API" + HexFormat.of().formatHex(key);
    apiSecret = HexFormat.of().formatHex(secret);
    url = "ws://" + nodeIp + ":" + port;
    Path config = dir.resolve("livekit.yaml");
    Files.writeString(
        config,
        """
        port: %d
        bind_addresses: ["%s"]
        rtc:
          tcp_port: %d
          udp_port: %d
          use_external_ip: false
          node_ip: %s
        turn:
          enabled: false
        keys:
          %s: %s
        logging:
          level: warn
        """
            .formatted(port, nodeIp, port + 1, port + 2, nodeIp, apiKey, apiSecret));
    process =
        new ProcessBuilder(binary.toString(), "--config", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("livekit.log").toFile())
            .start();
    HttpClient http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(1))
            .proxy(HttpClient.Builder.NO_PROXY)
            .build();
    HttpRequest ping =
        HttpRequest.newBuilder(URI.create("http://" + nodeIp + ":" + port + "/"))
            .timeout(Duration.ofSeconds(1))
            .build();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive())
        throw new IOException(
            "livekit-server exited with "
                + process.exitValue()
                + "; see "
                + dir.resolve("livekit.log"));
      try {
        if (http.send(ping, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) return;
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    process.destroyForcibly();
    throw new IOException("livekit-server did not answer on " + url + " within 30 s");
  }

  long pid() {
    return process.pid();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS))
      process.destroyForcibly().waitFor();
  }
}
