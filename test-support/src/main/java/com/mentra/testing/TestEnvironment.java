package com.mentra.testing;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What {@code scripts/test.sh} prepared: the test network namespace, the livekit-server binary, the
 * independent Node peer. {@link #get()} fails loudly (throws, never skips) when a variable is
 * missing or when this JVM is not inside the namespace: an interface named {@code eth*}, or any
 * non-loopback address outside {@code $LKB_NODE_IP/24}, means media could leave it.
 *
 * <p>Variables: {@code LKB_NETNS}, {@code LKB_NODE_IP}, {@code LKB_LIVEKIT_SERVER_BIN}, {@code
 * LKB_TEST_PEER_DIR}, {@code LKB_NODE}. Immutable; thread-safe.
 */
public final class TestEnvironment {
  private static final String HOW =
      " (run the tests with scripts/test.sh, which prepares the test network namespace, "
          + "livekit-server and the Node peer, and starts the test JVMs inside the namespace)";
  private static TestEnvironment instance;
  private static IllegalStateException failure;

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
    if (!Files.isExecutable(livekitServer))
      throw new IllegalStateException("livekit-server is not executable at " + livekitServer + HOW);
    if (!Files.isExecutable(node))
      throw new IllegalStateException("node is not executable at " + node + HOW);
    if (!Files.isRegularFile(testPeerDir.resolve("peer.mjs")))
      throw new IllegalStateException("no peer.mjs in " + testPeerDir + HOW);
    if (!Files.isDirectory(testPeerDir.resolve("node_modules/@livekit/rtc-node"))) {
      throw new IllegalStateException(
          "the test peer's npm packages are not installed in " + testPeerDir + HOW);
    }
    requireInsideNamespace();
  }

  /**
   * The environment, checked once per JVM; throws {@link IllegalStateException} (every time) when
   * it is wrong.
   */
  public static synchronized TestEnvironment get() {
    if (failure != null) throw new IllegalStateException(failure.getMessage(), failure);
    if (instance == null) {
      try {
        instance = new TestEnvironment();
      } catch (IllegalStateException e) {
        failure = e;
        throw e;
      }
    }
    return instance;
  }

  /** The name of the network namespace this JVM runs in. */
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

  /** The folder holding {@code peer.mjs} and its {@code node_modules}. */
  public Path testPeerDir() {
    return testPeerDir;
  }

  /** The Node.js executable. */
  public Path node() {
    return node;
  }

  /**
   * A directory {@code target/test-output/NAME} (relative to the module) for logs and recordings,
   * created if needed.
   */
  public static Path outputDir(String name) {
    Path dir = Path.of("target", "test-output", name);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create " + dir.toAbsolutePath(), e);
    }
    return dir.toAbsolutePath();
  }

  private static String require(String name) {
    String value = System.getenv(name);
    if (value == null || value.isBlank())
      throw new IllegalStateException("environment variable " + name + " is not set" + HOW);
    return value;
  }

  /**
   * Media must never leave the namespace: refuse to run where another interface or address exists.
   */
  private void requireInsideNamespace() {
    byte[] node;
    try {
      InetAddress parsed = InetAddress.getByName(nodeIp);
      if (!(parsed instanceof Inet4Address))
        throw new IllegalStateException("LKB_NODE_IP must be an IPv4 address, not " + nodeIp + HOW);
      node = parsed.getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalStateException("LKB_NODE_IP is not an address: " + nodeIp + HOW, e);
    }
    List<String> foreign = new ArrayList<>();
    boolean nodeIpFound = false;
    try {
      for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (nif.getName().startsWith("eth")) foreign.add("interface " + nif.getName());
        if (nif.isLoopback()) continue;
        for (InetAddress address : Collections.list(nif.getInetAddresses())) {
          if (address.isLoopbackAddress()) continue;
          byte[] a = address.getAddress();
          boolean inSubnet = a.length == 4 && a[0] == node[0] && a[1] == node[1] && a[2] == node[2];
          if (!inSubnet) foreign.add(nif.getName() + "=" + address.getHostAddress());
          if (address.getHostAddress().equals(nodeIp)) nodeIpFound = true;
        }
      }
    } catch (SocketException e) {
      throw new IllegalStateException("cannot list network interfaces", e);
    }
    if (!foreign.isEmpty()) {
      throw new IllegalStateException(
          "this JVM is not inside the test network namespace "
              + netns
              + ": found "
              + foreign
              + HOW);
    }
    if (!nodeIpFound) {
      throw new IllegalStateException(
          "no interface carries LKB_NODE_IP "
              + nodeIp
              + " (namespace "
              + netns
              + " missing or torn down?)"
              + HOW);
    }
  }
}
