package com.mentra.livekit.rtc;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.testing.LiveKitServerProcess;
import com.mentra.testing.TestEnvironment;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Reconnect attempts that the server refuses are classified on the room's executor, whose threads
 * every room shares, so they must never ask LiveKit's validate endpoint why (a blocking HTTP
 * request of up to 1 s each; issue 10: N rooms failing at once during an outage queued behind each
 * other's requests). A relay in front of the server refuses every WebSocket upgrade with 401 once
 * the test cuts the signal, and holds any validate request unanswered, counting it.
 */
class ReconnectRefusalTest {
  @Test
  void refusedReconnectAttemptsNeverAskTheValidateEndpointOnTheRoomsExecutor() throws Exception {
    try (LiveKitServerProcess server = LiveKitServerProcess.start();
        RefusingRelay relay = new RefusingRelay(server)) {
      RecordingListener events = new RecordingListener();
      RoomOptions options = RoomOptions.builder().reconnectTimeout(Duration.ofSeconds(6)).build();
      try (Room room =
          Room.connect(relay.wsUrl(), server.token("refusal", "java-bot"), options, events)) {
        relay.refuseFromNowOn();
        relay.cutAll();
        RecordingListener.StateChange end =
            events.awaitState(ConnectionState.DISCONNECTED, Duration.ofSeconds(60));
        System.out.printf(
            "gave up: %s; %d refused handshakes, %d validate requests%n",
            end.reason(), relay.refusedHandshakes.get(), relay.validateRequests.get());
        assertThat(relay.refusedHandshakes.get())
            .as("reconnect attempts the relay refused (the resume and at least one rejoin)")
            .isGreaterThanOrEqualTo(2);
        assertThat(end.reason()).contains("refused the token (HTTP 401)");
        assertThat(relay.validateRequests.get())
            .as("validate requests made while reconnecting (each blocks the room's executor)")
            .isZero();
        assertThat(room.connectionState()).isEqualTo(ConnectionState.DISCONNECTED);
      }
    }
  }

  /**
   * Relays to the server's signalling port until {@link #refuseFromNowOn}; then answers every new
   * WebSocket upgrade with 401 and holds every validate request without an answer.
   */
  private static final class RefusingRelay implements AutoCloseable {
    private final ServerSocket listener;
    private final InetSocketAddress upstream;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger refusedHandshakes = new AtomicInteger();
    private final AtomicInteger validateRequests = new AtomicInteger();
    private volatile boolean refusing;

    RefusingRelay(LiveKitServerProcess server) throws IOException {
      String ip = TestEnvironment.get().nodeIp();
      upstream = new InetSocketAddress(ip, server.httpPort());
      listener = new ServerSocket(0, 50, InetAddress.getByName(ip));
      Thread.ofVirtual().name("refusing-relay-accept").start(this::acceptLoop);
    }

    String wsUrl() {
      return "ws://" + listener.getInetAddress().getHostAddress() + ":" + listener.getLocalPort();
    }

    void refuseFromNowOn() {
      refusing = true;
    }

    void cutAll() {
      for (Socket socket : new ArrayList<>(open)) reset(socket);
    }

    private void acceptLoop() {
      while (!listener.isClosed()) {
        Socket client;
        try {
          client = listener.accept();
        } catch (IOException e) {
          return;
        }
        open.add(client);
        Thread.ofVirtual().name("refusing-relay-conn").start(() -> handle(client, refusing));
      }
    }

    private void handle(Socket client, boolean refuse) {
      if (!refuse) {
        relay(client);
        return;
      }
      try {
        String head = readHead(client.getInputStream());
        if (head.startsWith("GET /rtc/validate")) {
          validateRequests.incrementAndGet();
          return; // held open, unanswered, until the relay closes
        }
        refusedHandshakes.incrementAndGet();
        byte[] body = "invalid token".getBytes(StandardCharsets.US_ASCII);
        OutputStream out = client.getOutputStream();
        out.write(
            ("HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: "
                    + body.length
                    + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        open.remove(client);
        client.close();
      } catch (IOException e) {
        reset(client);
      }
    }

    private static String readHead(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int matched = 0;
      byte[] end = {'\r', '\n', '\r', '\n'};
      while (matched < 4 && head.size() < 64 * 1024) {
        int b = in.read();
        if (b < 0) break;
        head.write(b);
        matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
      }
      return head.toString(StandardCharsets.US_ASCII);
    }

    private void relay(Socket client) {
      Socket server = new Socket();
      try {
        server.connect(upstream, 5_000);
      } catch (IOException e) {
        reset(client);
        return;
      }
      open.add(server);
      Thread.ofVirtual().name("refusing-relay-up").start(() -> pump(client, server));
      pump(server, client);
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
        socket.setSoLinger(true, 0);
      } catch (SocketException alreadyClosed) {
        // nothing to reset
      }
      try {
        socket.close();
      } catch (IOException ignored) {
        // best effort
      }
    }

    @Override
    public void close() throws IOException {
      listener.close();
      List<Socket> all = new ArrayList<>(open);
      for (Socket socket : all) reset(socket);
    }
  }
}
