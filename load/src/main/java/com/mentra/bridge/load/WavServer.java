package com.mentra.bridge.load;

import com.mentra.bridge.dsp.Pcm16;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.Executors;

/**
 * The local HTTP server the playing sessions' PlayAudio fetches its WAV from: a 440 Hz tone of the
 * run's --play-seconds. Thread-safe: the WAV is built once and served read-only.
 */
final class WavServer implements AutoCloseable {
  private final HttpServer http;
  final String url;

  WavServer(String ip, int seconds) throws IOException {
    byte[] wav = wav(440, seconds, 16_000);
    http = HttpServer.create(new InetSocketAddress(ip, 0), 64);
    http.createContext(
        "/tone.wav",
        exchange -> {
          exchange.getResponseHeaders().add("Content-Type", "audio/wav");
          exchange.sendResponseHeaders(200, wav.length);
          try (var body = exchange.getResponseBody()) {
            body.write(wav);
          }
        });
    http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    http.start();
    url = "http://" + ip + ":" + http.getAddress().getPort() + "/tone.wav";
  }

  /** A 16-bit mono WAV of a sine at 0.25 of full scale. */
  static byte[] wav(double frequency, int seconds, int rate) {
    int frames = rate * seconds;
    ByteBuffer b = ByteBuffer.allocate(44 + frames * 2).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes())
        .putInt(36 + frames * 2)
        .put("WAVEfmt ".getBytes())
        .putInt(16)
        .putShort((short) 1)
        .putShort((short) 1)
        .putInt(rate)
        .putInt(rate * 2)
        .putShort((short) 2)
        .putShort((short) 16)
        .put("data".getBytes())
        .putInt(frames * 2);
    short[] samples = new short[frames];
    for (int i = 0; i < frames; i++)
      samples[i] = (short) Math.round(8192 * Math.sin(2 * Math.PI * frequency * i / rate));
    Pcm16.put(b, samples);
    return b.array();
  }

  @Override
  public void close() {
    http.stop(0);
  }
}
