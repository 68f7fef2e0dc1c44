package com.mentra.bridge.load;

import com.mentra.testing.LiveKitServerSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A livekit-server this tool starts (the binary scripts/lib.sh builds) with generated keys, bound
 * to the namespace's node address, with one UDP port for all media (production's layout): HTTP on
 * {@code port}, ICE/TCP on {@code port+1}, ICE/UDP on {@code port+2}.
 */
final class LocalLiveKit implements AutoCloseable {
  final String url;
  final String apiKey;
  final String apiSecret;
  private final Process process;

  LocalLiveKit(Path binary, String nodeIp, int port, Path dir)
      throws IOException, InterruptedException {
    LiveKitServerSettings settings = LiveKitServerSettings.udpMux(port, port + 1, port + 2);
    apiKey = settings.apiKey();
    apiSecret = settings.apiSecret();
    url = "ws://" + nodeIp + ":" + port;
    Path config = dir.resolve("livekit.yaml");
    Path log = dir.resolve("livekit.log");
    Files.writeString(config, settings.yaml(nodeIp, "warn"));
    process =
        new ProcessBuilder(binary.toString(), "--config", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      settings.awaitAnswer(process, nodeIp, Duration.ofSeconds(30), log);
    } catch (IllegalStateException | InterruptedException e) {
      process.destroyForcibly();
      throw e;
    }
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
