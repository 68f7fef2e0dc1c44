package com.mentra.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay in front of livekit-server's signalling port that a test can cut: {@link #cutAll()}
 * resets every relayed connection while media (UDP, straight to the server) keeps flowing. That is
 * a lost signal connection as a phone or a flaky proxy produces it, which a server restart cannot
 * show (a restarted server forgets the session, so a client can never resume it).
 *
 * <p>Listens on the test node address; new connections are relayed again right after a cut, or
 * handed to an {@link Intercept} (a server that refuses or stalls). Thread-safe; one platform
 * thread per direction of each relayed connection. Not virtual threads: closing a socket a virtual
 * thread is reading only wakes that thread, and the socket (so the RST) closes when it next runs; a
 * platform reader's socket closes at once, so a cut does not wait on the virtual threads'
 * scheduler.
 */
public final class SignalCutter implements AutoCloseable {
  /** Takes a new connection instead of the server. */
  @FunctionalInterface
  public interface Intercept {
    /**
     * Serves {@code client} on its own thread. A connection it closes is forgotten; one left open
     * is reset by {@link #cutAll()} or {@link #close()}; an exception resets it at once.
     */
    void serve(Socket client) throws IOException;
  }

  private final ServerSocket listener;
  private final InetSocketAddress upstream;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger accepted = new AtomicInteger();
  private final Thread acceptor;
  private volatile boolean closed;
  private volatile long connectDelayMillis;
  private volatile Intercept intercept;

  private SignalCutter(InetSocketAddress upstream) throws IOException {
    this.upstream = upstream;
    String ip = TestEnvironment.get().nodeIp();
    listener = new ServerSocket(0, 50, InetAddress.getByName(ip));
    acceptor = relayThread("signal-cutter-accept", this::acceptLoop);
  }

  /** Relays to {@code server}'s signalling (HTTP/WebSocket) port. */
  public static SignalCutter inFrontOf(LiveKitServerProcess server) {
    try {
      return new SignalCutter(
          new InetSocketAddress(TestEnvironment.get().nodeIp(), server.httpPort()));
    } catch (IOException e) {
      throw new IllegalStateException("cannot listen for the signal relay", e);
    }
  }

  /** {@code ws://NODE_IP:RELAY_PORT}: join through this URL to be cuttable. */
  public String wsUrl() {
    return "ws://" + listener.getInetAddress().getHostAddress() + ":" + listener.getLocalPort();
  }

  /** Connections relayed so far (a resume opens a new one). */
  public int acceptedConnections() {
    return accepted.get();
  }

  /**
   * Holds each new connection this long before relaying it: a slow path to the server, so that a
   * join reliably takes longer than a test's deadline whatever the machine's speed.
   */
  public SignalCutter delayNewConnections(java.time.Duration delay) {
    connectDelayMillis = delay.toMillis();
    return this;
  }

  /**
   * Hands every connection accepted from now on to {@code intercept} instead of relaying it ({@code
   * null}: relay again); connections already relayed keep relaying until cut.
   */
  public SignalCutter interceptNewConnections(Intercept intercept) {
    this.intercept = intercept;
    return this;
  }

  /** Resets (TCP RST) every relayed connection; returns how many sockets were cut. */
  public int cutAll() {
    List<Socket> cut = new ArrayList<>(open);
    for (Socket socket : cut) reset(socket);
    return cut.size();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // closed
      }
      accepted.incrementAndGet();
      open.add(client);
      Intercept taker = intercept;
      if (taker == null) {
        relayThread("signal-cutter-relay", () -> relay(client));
      } else {
        relayThread("signal-cutter-intercept", () -> serve(taker, client));
      }
    }
  }

  private void relay(Socket client) {
    Socket server = new Socket();
    try {
      if (connectDelayMillis > 0) Thread.sleep(connectDelayMillis);
      server.connect(upstream, 5_000);
    } catch (IOException | InterruptedException e) {
      reset(client);
      return;
    }
    open.add(server);
    relayThread("signal-cutter-up", () -> pump(client, server));
    pump(server, client);
  }

  private static Thread relayThread(String name, Runnable body) {
    return Thread.ofPlatform().name(name).daemon().start(body);
  }

  private void serve(Intercept taker, Socket client) {
    try {
      taker.serve(client);
      if (client.isClosed()) open.remove(client); // the intercept finished with it
    } catch (IOException e) {
      reset(client);
    }
  }

  private void pump(Socket from, Socket to) {
    byte[] buffer = new byte[16 * 1024];
    try (InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream()) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException ended) {
      // cut, or one side went away
    } finally {
      reset(from);
      reset(to);
    }
  }

  private void reset(Socket socket) {
    open.remove(socket);
    try {
      socket.setSoLinger(true, 0); // RST rather than FIN: the connection is lost, not closed
    } catch (SocketException alreadyClosed) {
      // nothing to reset
    }
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing is best effort
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException ignored) {
      // closing is best effort
    }
    cutAll();
    try {
      acceptor.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
