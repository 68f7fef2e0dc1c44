package com.mentra.bridge.audio.playback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.mentra.bridge.audio.decode.Fixtures;
import com.mentra.bridge.audio.fetch.FetchPolicy;
import com.mentra.bridge.dsp.AudioClock;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * STARTED and PROGRESS carry the duration the source declares, known before the first frame plays
 * (the 48 kHz output's resampling does not change it); 0 when the source declares none.
 */
class DeclaredDurationEventsTest {
  private HttpServer http;
  private AudioClock clock;
  private PlaybackEngine engine;
  private Player player;

  @BeforeEach
  void start() throws Exception {
    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
    http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    double[] tone = Fixtures.tone(440, 16_000, 2.0);
    serve("/tone.wav", "audio/wav", Fixtures.wav("pcm16", tone, 16_000, 1), true);
    serve(
        "/tone.mp3", "audio/mpeg", Fixtures.mp3(Fixtures.tone(440, 44_100, 2.0), 44_100, 2), true);
    byte[] l16 = Fixtures.pcm(tone, 1, 2, true, false);
    serve("/tone.l16", "audio/L16;rate=16000;channels=1", l16, true);
    serve("/chunked.l16", "audio/L16;rate=16000;channels=1", l16, false);
    http.start();
    clock = new AudioClock();
    engine =
        new PlaybackEngine(
            PlaybackConfig.defaults()
                .withFetch(FetchPolicy.defaults().withAllowPrivateAddresses(true)),
            clock);
    player =
        engine.newPlayer(
            trackId ->
                new PcmOutput() {
                  @Override
                  public void write(short[] frame) {}

                  @Override
                  public void close() {}
                });
  }

  @AfterEach
  void stop() {
    player.close();
    engine.close();
    clock.close();
    http.stop(0);
  }

  @Test
  void wavMp3AndL16WithALengthDeclareTwoSeconds() throws Exception {
    for (String path : new String[] {"/tone.wav", "/tone.mp3", "/tone.l16"}) {
      Events events = play(path);
      assertThat(events.started.get(5, TimeUnit.SECONDS))
          .as(path + " STARTED")
          .isCloseTo(2000, within(30L));
      assertThat(events.progress.get(5, TimeUnit.SECONDS))
          .as(path + " PROGRESS")
          .isEqualTo(events.started.get());
    }
  }

  @Test
  void aChunkedRawStreamDeclaresNothing() throws Exception {
    Events events = play("/chunked.l16");
    assertThat(events.started.get(5, TimeUnit.SECONDS)).isZero();
    assertThat(events.progress.get(5, TimeUnit.SECONDS)).isZero();
  }

  private Events play(String path) {
    Events events = new Events();
    URI uri = URI.create("http://127.0.0.1:" + http.getAddress().getPort() + path);
    PlaybackHandle handle = player.play(new PlayRequest(path, uri, 1, 0, false), events);
    events.progress.whenComplete((d, e) -> handle.cancel()); // one PROGRESS is enough
    return events;
  }

  private void serve(String path, String type, byte[] body, boolean withLength) {
    http.createContext(
        path,
        exchange -> {
          exchange.getResponseHeaders().add("Content-Type", type);
          exchange.sendResponseHeaders(
              200, withLength ? body.length : 0); // 0: chunked, no Content-Length
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          } catch (IOException cancelled) {
            // the playback was cancelled and closed the connection
          }
        });
  }

  /** The durations STARTED and the first PROGRESS carried. */
  private static final class Events implements PlaybackListener {
    final CompletableFuture<Long> started = new CompletableFuture<>();
    final CompletableFuture<Long> progress = new CompletableFuture<>();

    @Override
    public void onStarted(long durationMs) {
      started.complete(durationMs);
    }

    @Override
    public void onProgress(long positionMs, long durationMs) {
      progress.complete(durationMs);
    }

    @Override
    public void onCompleted(long durationMs, StopReason reason) {
      progress.completeExceptionally(new AssertionError("ended before a PROGRESS: " + reason));
    }

    @Override
    public void onFailed(PlaybackError error, long positionMs) {
      started.completeExceptionally(new AssertionError(error.message()));
      progress.completeExceptionally(new AssertionError(error.message()));
    }
  }
}
