package com.mentra.testing;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What {@code scripts/test.sh} prepared: the network namespace, the livekit-server binary, the
 * independent peer. Every accessor fails loudly (never skips) when the test runs outside that
 * setup. Immutable; thread-safe.
 */
public final class TestEnvironment {
  private static final String HOW = " (run the tests with scripts/test.sh, which prepares the test network namespace, livekit-server and the Node peer)";
  private static TestEnvironment instance;

  private final String netns;
  private final String nodeIp;
  private final Path livekitServer;
  private final Path testPeerDir;
  private final Path node;

  private TestEnvironment() {
    netns = require("LKB_NETNS");
    nodeIp = require("LKB_NODE_IP");
    livekitServer = Path.of(require("LKB_LIVEKIT_SERVER_BIN"));
    testPeerDir = Path.of(require("LKB_TEST_PEER_DIR"));
    node = Path.of(require("LKB_NODE"));
    if (!Files.isExecutable(livekitServer)) throw new IllegalStateException("livekit-server not executable at " + livekitServer + HOW);
    if (!Files.isDirectory(testPeerDir.resolve("node_modules"))) throw new IllegalStateException("test peer not installed in " + testPeerDir + HOW);
    requireInsideNamespace();
  }

  /** The environment, checked once per JVM. */
  public static synchronized TestEnvironment get() {
    if (instance == null) instance = new TestEnvironment();
    return instance;
  }

  public String netns() {
    return netns;
  }

  /** The only non-loopback address in the namespace; every server and peer uses it. */
  public String nodeIp() {
    return nodeIp;
  }

  public Path livekitServerBinary() {
    return livekitServer;
  }

  public Path testPeerDir() {
    return testPeerDir;
  }

  public Path node() {
    return node;
  }

  /** A directory under target/ for logs and recordings of this test run. */
  public static Path outputDir(String name) {
    Path dir = Path.of("target", "test-output", name);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create " + dir, e);
    }
    return dir.toAbsolutePath();
  }

  private static String require(String name) {
    String value = System.getenv(name);
    if (value == null || value.isBlank()) throw new IllegalStateException("environment variable " + name + " is not set" + HOW);
    return value;
  }

  /** Media must never leave the namespace: refuse to run where another interface exists. */
  private void requireInsideNamespace() {
    List<String> foreign = new ArrayList<>();
    try {
      for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (nif.isLoopback()) continue;
        for (InetAddress address : Collections.list(nif.getInetAddresses())) {
          if (address instanceof Inet4Address && !address.getHostAddress().startsWith(nodeIp.substring(0, nodeIp.lastIndexOf('.') + 1))) {
            foreign.add(nif.getName() + "=" + address.getHostAddress());
          }
        }
      }
    } catch (SocketException e) {
      throw new IllegalStateException("cannot list network interfaces", e);
    }
    if (!foreign.isEmpty()) {
      throw new IllegalStateException("this JVM is not inside the test network namespace " + netns + ": found " + foreign + HOW);
    }
  }
}
