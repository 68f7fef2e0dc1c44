package com.mentra.bridge.server;

import com.mentra.testing.TestEnvironment;
import com.mentra.testing.Tones;
import com.mentra.testing.Wav;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.Random;
import java.util.concurrent.Executors;

/** Serves audio fixtures and misbehaving responses inside the test namespace. */
final class AudioFileServer implements AutoCloseable {
  private final HttpServer server;

  AudioFileServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(TestEnvironment.get().nodeIp(), 0), 50);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    byte[] wav2s = Wav.bytes(new Wav.Audio(Tones.sine(440, 16_000, 8_000, 2_000), 16_000, 1));
    byte[] wav10s = Wav.bytes(new Wav.Audio(Tones.sine(440, 48_000, 8_000, 10_000), 48_000, 1));
    byte[] wav8s660 = Wav.bytes(new Wav.Audio(Tones.sine(660, 24_000, 8_000, 8_000), 24_000, 1));
    serve("/tone.wav", "audio/wav", wav2s);
    serve("/long.wav", "audio/wav", wav10s);
    serve("/long660.wav", "audio/wav", wav8s660);
    serve("/tone.mp3", "audio/mpeg", resource("tone-440-2s.mp3"));
    serve("/long.mp3", "audio/mpeg", resource("tone-440-10s-22k-stereo.mp3"));
    serve("/page.html", "text/html", "<html><body>not audio</body></html>".getBytes());
    byte[] truncated = java.util.Arrays.copyOf(wav2s, 30);
    serve("/truncated.wav", "audio/wav", truncated);
    serve("/truncated-data.wav", "audio/wav", java.util.Arrays.copyOf(wav2s, wav2s.length / 2));
    byte[] huge = wav2s.clone();
    // data chunk size field (bytes 40..43) claims ~4 GB
    huge[40] = (byte) 0xf0;
    huge[41] = (byte) 0xff;
    huge[42] = (byte) 0xff;
    huge[43] = (byte) 0xff;
    serve("/huge-header.wav", "audio/wav", huge);
    byte[] random = new byte[64 * 1024];
    new Random(7).nextBytes(random);
    random[0] = 0x12; // no accidental frame sync at the start
    serve("/random.mp3", "audio/mpeg", random);
    server.createContext(
        "/status/",
        ex -> {
          int code = Integer.parseInt(ex.getRequestURI().getPath().substring("/status/".length()));
          ex.sendResponseHeaders(code, -1);
          ex.close();
        });
    server.createContext(
        "/loop",
        ex -> {
          ex.getResponseHeaders().add("Location", "/loop");
          ex.sendResponseHeaders(302, -1);
          ex.close();
        });
    server.createContext(
        "/big-streamed.wav",
        ex -> {
          // The same without a length: refused when the limit is crossed while streaming.
          ex.getResponseHeaders().add("Content-Type", "audio/wav");
          ex.sendResponseHeaders(200, 0);
          try (OutputStream out = ex.getResponseBody()) {
            byte[] header = java.util.Arrays.copyOf(wav10s, 44);
            java.util.Arrays.fill(header, 40, 44, (byte) 0xff);
            out.write(header);
            byte[] block = new byte[64 * 1024];
            for (int i = 0; i < 1_000; i++) out.write(block);
          } catch (IOException closedByClient) {
            // expected
          }
        });
    server.createContext(
        "/slow.wav",
        ex -> {
          // Headers and a WAV header, then nothing: the bridge's read timeout must end it.
          ex.getResponseHeaders().add("Content-Type", "audio/wav");
          ex.sendResponseHeaders(200, 0);
          OutputStream out = ex.getResponseBody();
          out.write(wav2s, 0, 44);
          out.flush();
          try {
            Thread.sleep(60_000);
          } catch (InterruptedException ignored) {
            // server stopping
          }
          ex.close();
        });
    server.createContext(
        "/big.wav",
        ex -> {
          // A 64 MB file that says so: refused up front.
          ex.getResponseHeaders().add("Content-Type", "audio/wav");
          ex.sendResponseHeaders(200, 44 + 1_000L * 64 * 1024);
          try (OutputStream out = ex.getResponseBody()) {
            byte[] header = java.util.Arrays.copyOf(wav10s, 44);
            java.util.Arrays.fill(
                header, 40, 44, (byte) 0xff); // a data chunk "as long as it takes"
            out.write(header);
            byte[] block = new byte[64 * 1024];
            for (int i = 0; i < 1_000; i++) out.write(block); // 64 MB of silence
          } catch (IOException closedByClient) {
            // expected: the bridge gives up at its size limit
          }
        });
    server.start();
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = AudioFileServer.class.getResourceAsStream("/audio/" + name)) {
      if (in == null) throw new IOException("missing test resource /audio/" + name);
      return in.readAllBytes();
    }
  }

  void serve(String path, String type, byte[] body) {
    server.createContext(
        path,
        (HttpExchange ex) -> {
          ex.getResponseHeaders().add("Content-Type", type);
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          } catch (IOException closedByClient) {
            // a stopped playback closes early
          }
        });
  }

  String url(String path) {
    return "http://" + TestEnvironment.get().nodeIp() + ":" + server.getAddress().getPort() + path;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
