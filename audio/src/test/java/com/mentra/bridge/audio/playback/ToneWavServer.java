package com.mentra.bridge.audio.playback;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.Executors;

/**
 * Serves a long 16-bit mono 440 Hz WAV on loopback, generated as it is sent so the server holds one
 * block, never the file (tests of long or many playbacks).
 */
final class ToneWavServer implements AutoCloseable {
  private final HttpServer http;
  private final int seconds;
  private final int rate;

  private ToneWavServer(int seconds, int rate) throws IOException {
    this.seconds = seconds;
    this.rate = rate;
    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    http.createContext("/tone.wav", this::serve);
    http.start();
  }

  static ToneWavServer start(int seconds, int rate) throws IOException {
    return new ToneWavServer(seconds, rate);
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/tone.wav");
  }

  int dataBytes() {
    return seconds * rate * 2;
  }

  private void serve(HttpExchange exchange) throws IOException {
    int dataBytes = dataBytes();
    exchange.getResponseHeaders().add("Content-Type", "audio/wav");
    exchange.sendResponseHeaders(200, 44 + dataBytes);
    try (OutputStream out = exchange.getResponseBody()) {
      ByteBuffer header = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
      header
          .put("RIFF".getBytes())
          .putInt(36 + dataBytes)
          .put("WAVEfmt ".getBytes())
          .putInt(16)
          .putShort((short) 1)
          .putShort((short) 1)
          .putInt(rate)
          .putInt(rate * 2)
          .putShort((short) 2)
          .putShort((short) 16)
          .put("data".getBytes())
          .putInt(dataBytes);
      out.write(header.array());
      byte[] block = new byte[3200];
      long sample = 0;
      for (int written = 0; written < dataBytes; written += block.length) {
        for (int i = 0; i < block.length / 2; i++, sample++) {
          short v = (short) (8000 * Math.sin(2 * Math.PI * 440 * sample / rate));
          block[2 * i] = (byte) v;
          block[2 * i + 1] = (byte) (v >> 8);
        }
        out.write(block);
      }
    } catch (IOException stoppedEarly) {
      // the playback was stopped and closed the connection
    }
  }

  @Override
  public void close() {
    http.stop(0);
  }
}
