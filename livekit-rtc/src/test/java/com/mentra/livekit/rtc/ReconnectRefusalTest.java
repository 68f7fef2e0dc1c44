package com.mentra.livekit.rtc;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.testing.LiveKitServerProcess;
import com.mentra.testing.SignalCutter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
    RefusingServer refusal = new RefusingServer();
    try (LiveKitServerProcess server = LiveKitServerProcess.start();
        SignalCutter relay = SignalCutter.inFrontOf(server)) {
      RecordingListener events = new RecordingListener();
      RoomOptions options = RoomOptions.builder().reconnectTimeout(Duration.ofSeconds(6)).build();
      try (Room room =
          Room.connect(relay.wsUrl(), server.token("refusal", "java-bot"), options, events)) {
        relay.interceptNewConnections(refusal::serve);
        relay.cutAll();
        RecordingListener.StateChange end =
            events.awaitState(ConnectionState.DISCONNECTED, Duration.ofSeconds(60));
        System.out.printf(
            "gave up: %s; %d refused handshakes, %d validate requests%n",
            end.reason(), refusal.refusedHandshakes.get(), refusal.validateRequests.get());
        assertThat(refusal.refusedHandshakes.get())
            .as("reconnect attempts the relay refused (the resume and at least one rejoin)")
            .isGreaterThanOrEqualTo(2);
        assertThat(end.reason()).contains("refused the token (HTTP 401)");
        assertThat(refusal.validateRequests.get())
            .as("validate requests made while reconnecting (each blocks the room's executor)")
            .isZero();
        assertThat(room.connectionState()).isEqualTo(ConnectionState.DISCONNECTED);
      }
    }
  }

  /**
   * What the relay answers once refusing: every WebSocket upgrade gets 401; every validate request
   * is held without an answer (the relay resets it when closed).
   */
  private static final class RefusingServer {
    private final AtomicInteger refusedHandshakes = new AtomicInteger();
    private final AtomicInteger validateRequests = new AtomicInteger();

    void serve(Socket client) throws IOException {
      String head = readHead(client.getInputStream());
      if (head.startsWith("GET /rtc/validate")) {
        validateRequests.incrementAndGet();
        return; // held open, unanswered
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
      client.close();
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
  }
}
