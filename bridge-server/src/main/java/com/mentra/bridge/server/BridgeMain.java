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
    BridgeServer server = new BridgeServer(config).start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdown();
      LogSetup.flush();
      stopped.countDown();
    }, "bridge-shutdown"));
    System.out.println("LiveKit bridge ready on " + server.target()
        + (config.livekitUrl().isEmpty() ? "" : " (default LiveKit " + config.livekitUrl() + ")"));
    stopped.await();
  }
}
