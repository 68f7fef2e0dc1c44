package com.mentra.bridge.server;

import java.util.concurrent.CountDownLatch;

/** Starts the bridge from environment variables and stops it gracefully on SIGTERM or Ctrl-C. */
public final class BridgeMain {
  private BridgeMain() {}

  public static void main(String[] args) throws Exception {
    BridgeConfig config;
    try {
      config = BridgeConfig.fromEnvironment();
    } catch (BridgeConfig.ConfigException e) {
      System.err.println("invalid configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    try {
      LogSetup.configure(System.getenv(), config.logLevel());
    } catch (BridgeConfig.ConfigException | IllegalArgumentException e) {
      System.err.println("invalid configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    // One ordered shutdown instead of two concurrent hooks: stop accepting, close every session
    // (rooms leave, tracks stop), stop the audio clock, and only then free libwebrtc's factories,
    // which a still-pushing clock or a closing room would otherwise touch after they were freed.
    com.mentra.livekit.rtc.internal.WebRtcRuntime.disposeAtExitByCaller();
    BridgeServer server;
    try {
      server = new BridgeServer(config).start();
    } catch (java.io.IOException e) {
      // A port in use, a socket path that is a directory: one line an operator can act on.
      System.err.println("cannot start the bridge: " + e.getMessage());
      LogSetup.flush();
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.shutdown();
                  com.mentra.livekit.rtc.internal.WebRtcRuntime.disposeShared();
                  LogSetup.flush();
                  stopped.countDown();
                },
                "bridge-shutdown"));
    System.out.println(
        "LiveKit bridge ready on "
            + server.target()
            + (config.livekitUrl().isEmpty()
                ? ""
                : " (default LiveKit " + config.livekitUrl() + ")"));
    stopped.await();
  }
}
