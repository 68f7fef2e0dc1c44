package com.mentra.bridge.load;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The LiveKit the run uses: LIVEKIT_URL with its key and secret when set, else a livekit-server
 * this tool starts (and stops on close). Not thread-safe: made and closed by the run's main thread.
 */
record LiveKitTarget(String url, String apiKey, String apiSecret, LocalLiveKit local)
    implements AutoCloseable {

  static LiveKitTarget startOrUse(String nodeIp, Path out)
      throws IOException, InterruptedException {
    String url = System.getenv("LIVEKIT_URL");
    String apiKey = System.getenv("LIVEKIT_API_KEY");
    String apiSecret = System.getenv("LIVEKIT_API_SECRET");
    if (url == null || url.isBlank()) {
      Path binary = Path.of(Env.get("LKB_LIVEKIT_SERVER_BIN", null));
      LocalLiveKit local =
          new LocalLiveKit(
              binary, nodeIp, Integer.parseInt(Env.get("LKB_LIVEKIT_PORT", "7880")), out);
      Console.say("livekit-server %s started on %s (pid %d)", "v1.13.5", local.url, local.pid());
      return new LiveKitTarget(local.url, local.apiKey, local.apiSecret, local);
    }
    if (apiKey == null || apiSecret == null) {
      throw new IllegalStateException(
          "LIVEKIT_URL needs LIVEKIT_API_KEY and LIVEKIT_API_SECRET (the phones mint their tokens)");
    }
    return new LiveKitTarget(url, apiKey, apiSecret, null);
  }

  /** The local server's pid; null for a LiveKit elsewhere (no process figures). */
  Long pid() {
    return local == null ? null : local.pid();
  }

  @Override
  public void close() throws InterruptedException {
    if (local != null) local.close();
  }
}
