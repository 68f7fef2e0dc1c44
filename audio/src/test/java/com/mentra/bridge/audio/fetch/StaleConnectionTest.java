package com.mentra.bridge.audio.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A file server that closes an idle keep-alive connection (as servers do after their idle timeout)
 * must not fail the next playback: the fetcher retries the GET on a new connection. Found by the
 * packet-loss test, where a PlayAudio 46 s after the previous one failed with "unexpected end of
 * stream".
 */
class StaleConnectionTest {
  @Test
  void aKeepAliveConnectionClosedWhileIdleIsRetriedOnANewOne() throws Exception {
    AtomicInteger connections = new AtomicInteger();
    try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
      Thread.ofVirtual()
          .start(
              () -> {
                while (!server.isClosed()) {
                  try (Socket s = server.accept()) {
                    connections.incrementAndGet();
                    InputStream in = s.getInputStream();
                    // Read the request head, answer with keep-alive semantics, then drop the
                    // connection
                    // without saying so (what an idle timeout on the server does).
                    byte[] buf = new byte[4096];
                    int n = in.read(buf);
                    if (n <= 0) continue;
                    byte[] body = new byte[] {1, 2, 3, 4};
                    OutputStream out = s.getOutputStream();
                    out.write(
                        ("HTTP/1.1 200 OK\r\nContent-Type: audio/L16\r\nContent-Length: "
                                + body.length
                                + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.write(body);
                    out.flush();
                    Thread.sleep(100);
                  } catch (Exception e) {
                    // next connection
                  }
                }
              });
      AudioFetcher fetcher =
          new AudioFetcher(FetchPolicy.defaults().withAllowPrivateAddresses(true));
      URI uri = URI.create("http://127.0.0.1:" + server.getLocalPort() + "/a.pcm");
      for (int i = 0; i < 3; i++) {
        try (FetchedAudio audio = fetcher.open(uri)) {
          assertThat(audio.body().readAllBytes()).containsExactly(1, 2, 3, 4);
        }
        Thread.sleep(300); // the server has closed the pooled connection by now
      }
      assertThat(connections.get())
          .as("a new connection per fetch after each close")
          .isGreaterThanOrEqualTo(3);
    }
  }
}
