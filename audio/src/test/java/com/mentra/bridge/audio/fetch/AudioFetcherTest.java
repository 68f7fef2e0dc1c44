package com.mentra.bridge.audio.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AudioFetcherTest {
  private static HttpServer http;
  private static String base;

  @BeforeAll
  static void start() throws Exception {
    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 20);
    http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    http.createContext(
        "/stream",
        ex -> {
          ex.sendResponseHeaders(200, 0);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(new byte[] {1, 2, 3, 4});
            out.flush();
            Thread.sleep(2_000); // the rest comes late: the first bytes must be readable already
            out.write(new byte[] {5});
          } catch (Exception ignored) {
            // client gone
          }
        });
    http.createContext(
        "/endless",
        ex -> {
          ex.sendResponseHeaders(200, 0);
          byte[] block = new byte[64 * 1024];
          try (OutputStream out = ex.getResponseBody()) {
            while (true) out.write(block);
          } catch (Exception ignored) {
            // client gave up
          }
        });
    http.createContext(
        "/hop",
        ex -> {
          ex.getResponseHeaders()
              .add("Location", "http://localhost:" + http.getAddress().getPort() + "/stream");
          ex.sendResponseHeaders(302, -1);
          ex.close();
        });
    http.start();
    base = "http://127.0.0.1:" + http.getAddress().getPort();
  }

  @AfterAll
  static void stop() {
    http.stop(0);
  }

  private static final FetchPolicy LOCAL = FetchPolicy.defaults().withAllowPrivateAddresses(true);

  @Test
  void bodyIsReadableBeforeTheDownloadEnds() throws Exception {
    long start = System.nanoTime();
    try (FetchedAudio audio = new AudioFetcher(LOCAL).open(URI.create(base + "/stream"))) {
      byte[] first = audio.body().readNBytes(4);
      assertThat(first).containsExactly(1, 2, 3, 4);
      assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1_500);
    }
  }

  @Test
  void sizeLimitHoldsWhileStreaming() throws Exception {
    FetchException e =
        catchThrowableOfType(
            FetchException.class,
            () -> {
              try (FetchedAudio audio =
                  new AudioFetcher(LOCAL.withMaxBytes(1 << 20))
                      .open(URI.create(base + "/endless"))) {
                InputStream in = audio.body();
                byte[] buf = new byte[8192];
                while (in.read(buf) >= 0) {
                  // read until the limit trips
                }
              }
            });
    assertThat(e.kind()).isEqualTo(FetchException.Kind.TOO_LARGE);
    assertThat(e.getMessage()).contains("1048576-byte limit");
  }

  @Test
  void loopbackAndPrivateAddressesAreRefusedByDefault() {
    for (String url :
        new String[] {
          base + "/stream",
          "http://localhost:1/x.wav",
          "http://10.1.2.3/x.wav",
          "http://169.254.169.254/latest",
          "http://[::1]/x"
        }) {
      FetchException e =
          catchThrowableOfType(
              FetchException.class,
              () -> new AudioFetcher(FetchPolicy.defaults()).open(URI.create(url)));
      System.out.println(url + " -> " + e.getMessage());
      assertThat(e.kind()).isEqualTo(FetchException.Kind.REFUSED_ADDRESS);
    }
  }

  @Test
  void redirectsAreCheckedHopByHop() {
    // The redirect target is localhost: allowed only because the policy allows private addresses.
    FetchException e =
        catchThrowableOfType(
            FetchException.class,
            () -> new AudioFetcher(FetchPolicy.defaults()).open(URI.create(base + "/hop")));
    assertThat(e.kind()).isEqualTo(FetchException.Kind.REFUSED_ADDRESS);
  }

  @Test
  void onlyHttpAndHttps() {
    for (String url :
        new String[] {"file:///etc/passwd", "ftp://example.com/a.mp3", "gopher://x/"}) {
      FetchException e =
          catchThrowableOfType(
              FetchException.class, () -> new AudioFetcher(LOCAL).open(URI.create(url)));
      assertThat(e.kind()).isEqualTo(FetchException.Kind.UNSUPPORTED_SCHEME);
    }
  }

  @Test
  void readTimeoutEndsASlowBody() {
    FetchException e =
        catchThrowableOfType(
            FetchException.class,
            () -> {
              try (FetchedAudio audio =
                  new AudioFetcher(LOCAL.withReadTimeout(Duration.ofMillis(500)))
                      .open(URI.create(base + "/stream"))) {
                audio.body().readNBytes(5);
              }
            });
    assertThat(e.kind()).isEqualTo(FetchException.Kind.TIMEOUT);
  }
}
