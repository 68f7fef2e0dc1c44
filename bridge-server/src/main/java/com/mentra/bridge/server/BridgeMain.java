package com.mentra.bridge.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;

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
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.toLevel(config.logLevel()));
    BridgeServer server = new BridgeServer(config).start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdown();
      stopped.countDown();
    }, "bridge-shutdown"));
    System.out.println("LiveKit bridge ready on " + server.target()
        + (config.livekitUrl().isEmpty() ? "" : " (default LiveKit " + config.livekitUrl() + ")"));
    stopped.await();
  }
}
