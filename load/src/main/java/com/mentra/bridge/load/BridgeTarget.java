package com.mentra.bridge.load;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bridge the run measures: the packaged bridge this tool starts as its own process (the
 * default), or one already running at --bridge HOST:PORT (token from BRIDGE_TOKEN, pid from
 * --bridge-pid). Not thread-safe: made and closed by the run's main thread.
 *
 * @param pid null when the bridge runs elsewhere: no process figures then
 * @param metricsUrl the bridge's Prometheus endpoint; null unless this tool started the bridge
 * @param process null unless this tool started the bridge
 */
record BridgeTarget(
    String address, String token, Long pid, String metricsUrl, BridgeProcess process)
    implements AutoCloseable {

  static BridgeTarget startOrAttach(LoadOptions o, String nodeIp, LiveKitTarget liveKit)
      throws IOException, InterruptedException {
    if (o.bridgeAddress != null) {
      Console.say(
          "using the bridge at %s%s",
          o.bridgeAddress,
          o.bridgePid == null ? " (no pid: no process figures)" : " (pid " + o.bridgePid + ")");
      return new BridgeTarget(
          o.bridgeAddress, System.getenv("BRIDGE_TOKEN"), o.bridgePid, null, null);
    }
    String token = "load-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
    int port = freePort(nodeIp);
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PORT", String.valueOf(port));
    env.put("BIND_ADDRESS", nodeIp);
    int metricsPort = freePort(nodeIp);
    env.put("METRICS_PORT", String.valueOf(metricsPort));
    env.put("LIVEKIT_URL", liveKit.url());
    env.put("LIVEKIT_API_KEY", liveKit.apiKey());
    env.put("LIVEKIT_API_SECRET", liveKit.apiSecret());
    env.put("BRIDGE_AUTH_TOKENS", token);
    env.put("AUDIO_URL_ALLOW_PRIVATE", "true");
    env.put("MAX_SESSIONS", String.valueOf(Math.max(500, o.sessions + 10)));
    env.put("LOG_LEVEL", "WARN");
    // The allocator scripts/run.sh and the image run the bridge on (jemalloc, with its background
    // purging thread: scripts/lib.sh); --bridge-env LD_PRELOAD= or MALLOC_CONF= overrides it.
    String preload = Env.get("LKB_BRIDGE_PRELOAD", "");
    if (!preload.isEmpty()) env.put("LD_PRELOAD", preload);
    String mallocConf = Env.get("LKB_BRIDGE_MALLOC_CONF", "");
    if (!preload.isEmpty() && !mallocConf.isEmpty()) env.put("MALLOC_CONF", mallocConf);
    env.putAll(o.bridgeEnv);
    Path java = java();
    Path jar =
        Path.of(Env.get("LKB_BRIDGE_JAR", "bridge-server/target/bridge-server-0.1.0-SNAPSHOT.jar"));
    // The bridge's own JVM options, as the image and scripts/run.sh pass them; --bridge-java-opts
    // come after them and override them.
    Path jvmOptions =
        Path.of(Env.get("LKB_BRIDGE_JVM_OPTIONS", "bridge-server/src/main/jvm.options"));
    if (!Files.isRegularFile(jvmOptions))
      throw new IOException(
          jvmOptions + " (the bridge's JVM options, LKB_BRIDGE_JVM_OPTIONS) is missing");
    List<String> javaOpts = new ArrayList<>();
    javaOpts.add("@" + jvmOptions);
    javaOpts.addAll(o.bridgeJavaOpts);
    BridgeProcess process =
        new BridgeProcess(
            java, jar, javaOpts, env, nodeIp + ":" + port, o.out.resolve("bridge.log"));
    Console.say(
        "bridge started on %s (pid %d, JVM options %s, LD_PRELOAD %s)",
        process.address,
        process.pid(),
        String.join(" ", javaOpts),
        env.getOrDefault("LD_PRELOAD", "").isEmpty() ? "none" : env.get("LD_PRELOAD"));
    return new BridgeTarget(
        process.address,
        token,
        process.pid(),
        "http://" + nodeIp + ":" + metricsPort + "/metrics",
        process);
  }

  /** The java that runs the bridge this tool starts: LKB_JAVA, else this tool's own. */
  static Path java() {
    return Path.of(
        Env.get("LKB_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString()));
  }

  /** The WARN and ERROR lines in the bridge's log; null when this tool did not start the bridge. */
  Map<String, Object> logCounts() throws IOException {
    if (process == null) return null;
    long warnings = 0;
    long errors = 0;
    for (String line : Files.readAllLines(process.log)) {
      if (line.contains(" WARN ")) warnings++;
      else if (line.contains(" ERROR ")) errors++;
    }
    return Map.of("warn", warnings, "error", errors);
  }

  private static int freePort(String ip) throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(ip, 0));
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null) process.close();
  }
}
