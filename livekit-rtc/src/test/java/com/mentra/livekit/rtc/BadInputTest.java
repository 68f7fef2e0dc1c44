package com.mentra.livekit.rtc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.mentra.livekit.rtc.RoomConnectException.Reason;
import com.mentra.testing.LiveKitServerExtension;
import com.mentra.testing.Poll;
import com.mentra.testing.TestEnvironment;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every bad connect fails fast with a specific reason and a message that says what to fix. */
class BadInputTest {
  @RegisterExtension static final LiveKitServerExtension livekit = new LiveKitServerExtension();
  private static int baselineThreads;

  @BeforeAll
  static void warmUp() throws Exception {
    // Warm up the shared runtime so its threads are part of the baseline.
    Room.connect(livekit.wsUrl(), livekit.token("warmup", "warmup"), RoomOptions.defaults(), null)
        .close();
    baselineThreads = Thread.activeCount();
  }

  private static RoomConnectException connectFails(String url, String token) {
    long start = System.nanoTime();
    RoomConnectException e =
        catchThrowableOfType(
            RoomConnectException.class,
            () ->
                Room.connect(
                    url,
                    token,
                    RoomOptions.builder().connectTimeout(Duration.ofSeconds(5)).build(),
                    null));
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertThat(e).as("connect to %s should fail", url).isNotNull();
    System.out.printf(
        "%-45s -> %s after %d ms: %s%n",
        url.length() > 45 ? url.substring(0, 45) : url, e.reason(), ms, e.getMessage());
    assertThat(ms).isLessThan(10_000);
    return e;
  }

  @Test
  void malformedUrl() {
    RoomConnectException e = connectFails("ws://bad host:7880", livekit.token("r", "u"));
    assertThat(e.reason()).isEqualTo(Reason.INVALID_URL);
    assertThat(e.getMessage()).contains("malformed");
  }

  @Test
  void wrongScheme() {
    RoomConnectException e =
        connectFails(
            "ftp://" + TestEnvironment.get().nodeIp() + ":" + livekit.server().httpPort(),
            livekit.token("r", "u"));
    assertThat(e.reason()).isEqualTo(Reason.INVALID_URL);
    assertThat(e.getMessage()).contains("ws, wss, http or https");
  }

  @Test
  void invalidToken() {
    RoomConnectException e = connectFails(livekit.wsUrl(), "not-a-jwt");
    assertThat(e.reason()).isEqualTo(Reason.UNAUTHORIZED);
    assertThat(e.getMessage()).contains("refused the token").contains("401");
  }

  @Test
  void tokenSignedWithAnotherSecret() {
    io.livekit.server.AccessToken token =
        new io.livekit.server.AccessToken(
            livekit.server().apiKey(), "another-secret-another-secret-0123456789");
    token.setIdentity("u");
    token.addGrants(new io.livekit.server.RoomJoin(true), new io.livekit.server.RoomName("r"));
    String forged = token.toJwt();
    assertThat(connectFails(livekit.wsUrl(), forged).reason()).isEqualTo(Reason.UNAUTHORIZED);
  }

  @Test
  void expiredToken() {
    RoomConnectException e =
        connectFails(livekit.wsUrl(), livekit.server().token("r", "u", Duration.ofMinutes(-5)));
    assertThat(e.reason()).isEqualTo(Reason.UNAUTHORIZED);
  }

  @Test
  void portNobodyListensOn() throws IOException {
    int port;
    try (ServerSocket probe =
        new ServerSocket(0, 1, InetAddress.getByName(TestEnvironment.get().nodeIp()))) {
      port = probe.getLocalPort();
    }
    RoomConnectException e =
        connectFails(
            "ws://" + TestEnvironment.get().nodeIp() + ":" + port, livekit.token("r", "u"));
    assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE);
    assertThat(e.getMessage()).contains("cannot reach");
  }

  @Test
  void serverThatAcceptsAndNeverAnswers() throws Exception {
    List<Socket> accepted = new ArrayList<>();
    try (ServerSocket silent =
        new ServerSocket(0, 10, InetAddress.getByName(TestEnvironment.get().nodeIp()))) {
      Thread acceptor =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      while (true) accepted.add(silent.accept());
                    } catch (IOException closed) {
                      // Test over.
                    }
                  });
      RoomConnectException e =
          connectFails(
              "ws://" + TestEnvironment.get().nodeIp() + ":" + silent.getLocalPort(),
              livekit.token("r", "u"));
      assertThat(e.reason()).isEqualTo(Reason.TIMEOUT);
      silent.close();
      acceptor.join(2_000);
    } finally {
      for (Socket s : accepted) s.close();
    }
  }

  @Test
  void serverThatClosesTheSocket() throws Exception {
    try (ServerSocket rude =
        new ServerSocket(0, 10, InetAddress.getByName(TestEnvironment.get().nodeIp()))) {
      Thread acceptor =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      while (true) rude.accept().close();
                    } catch (IOException closed) {
                      // Test over.
                    }
                  });
      RoomConnectException e =
          connectFails(
              "ws://" + TestEnvironment.get().nodeIp() + ":" + rude.getLocalPort(),
              livekit.token("r", "u"));
      assertThat(e.reason()).isEqualTo(Reason.PROTOCOL);
      assertThat(e.getMessage()).contains("closed the connection");
      rude.close();
      acceptor.join(2_000);
    }
  }

  @Test
  void failedConnectsLeaveNoThreadsBehind() throws Exception {
    for (int i = 0; i < 5; i++) {
      connectFails(livekit.wsUrl(), "not-a-jwt");
      connectFails("ws://" + TestEnvironment.get().nodeIp() + ":1", livekit.token("r", "u"));
    }
    Poll.until(
        () -> Thread.activeCount() <= baselineThreads + 5,
        Duration.ofSeconds(10),
        "thread count back near " + baselineThreads + " (now " + Thread.activeCount() + ")");
  }
}
