package com.mentra.testing;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One livekit-server for a test class, and the test peers that join it: the setup test classes used
 * to copy ({@code @BeforeAll} start, {@code @AfterAll} close, {@code TestPeer.join(name,
 * server.wsUrl(), server.token(room, name))}).
 *
 * <pre>{@code
 * @RegisterExtension static final LiveKitServerExtension livekit = new LiveKitServerExtension();
 *
 * try (TestPeer peer = livekit.joinPeer("data-in", "peer")) { ... livekit.server().wsUrl() ... }
 * }</pre>
 *
 * <p>The server starts before the class's own {@code @BeforeAll} methods (so they may use it) and
 * stops after its {@code @AfterAll}. Peers a test leaves open are closed after that test, so one
 * test's peers never sit in the next test's rooms. Register it on a static field: one server per
 * class. Thread-safe: peers may be joined from several threads.
 */
public final class LiveKitServerExtension
    implements BeforeAllCallback, AfterAllCallback, AfterEachCallback {
  private final boolean udpMux;
  private volatile LiveKitServerProcess server;
  private final List<TestPeer> peers = new ArrayList<>();

  /** A server as {@link LiveKitServerProcess#start()} starts it. */
  public LiveKitServerExtension() {
    this(false);
  }

  /** {@code udpMux} as in {@link LiveKitServerProcess#LiveKitServerProcess(int, boolean)}. */
  public LiveKitServerExtension(boolean udpMux) {
    this.udpMux = udpMux;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    server = LiveKitServerProcess.start(udpMux);
  }

  /** The class's server; started once the class's tests run. */
  public LiveKitServerProcess server() {
    LiveKitServerProcess s = server;
    if (s == null)
      throw new IllegalStateException(
          "the livekit-server starts before @BeforeAll; register the extension on a static field");
    return s;
  }

  /** The server's {@link LiveKitServerProcess#wsUrl()}. */
  public String wsUrl() {
    return server().wsUrl();
  }

  /** The server's {@link LiveKitServerProcess#token(String, String)}. */
  public String token(String room, String identity) {
    return server().token(room, identity);
  }

  /**
   * A peer that joined {@code room} as {@code identity} (also its name), subscribing to every
   * track.
   */
  public TestPeer joinPeer(String room, String identity) {
    TestPeer peer = server().joinPeer(room, identity);
    synchronized (peers) {
      peers.add(peer);
    }
    return peer;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    synchronized (peers) {
      peers.forEach(TestPeer::close); // idempotent: closing a peer the test closed does nothing
      peers.clear();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    LiveKitServerProcess s = server;
    server = null;
    if (s != null) s.close();
  }
}
