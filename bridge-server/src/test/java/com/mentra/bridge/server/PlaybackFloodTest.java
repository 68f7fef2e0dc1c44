package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.bridge.api.PlayAudioEvent;
import com.mentra.bridge.api.PlayAudioRequest;
import com.mentra.testing.TestEnvironment;
import com.mentra.testing.Tones;
import com.mentra.testing.Wav;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * 50 PlayAudio calls at once for one user (issue 11): the file server sees at most 2 fetches open
 * at any moment (before: up to 36), every replaced call ends COMPLETED with reason "replaced", and
 * exactly one plays to its end.
 */
class PlaybackFloodTest {
  @Test
  void fiftyPlaysAtOnceOpenAtMostTwoFetchesAndOnePlays() throws Exception {
    byte[] wav = Wav.bytes(new Wav.Audio(Tones.sine(440, 16_000, 8_000, 1_500), 16_000, 1));
    AtomicInteger open = new AtomicInteger();
    AtomicInteger maxOpen = new AtomicInteger();
    AtomicInteger requests = new AtomicInteger();
    HttpServer files =
        HttpServer.create(
            new InetSocketAddress(InetAddress.getByName(TestEnvironment.get().nodeIp()), 0), 100);
    files.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    files.createContext(
        "/slow.wav",
        ex -> {
          requests.incrementAndGet();
          maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
          try (OutputStream out = ex.getResponseBody()) {
            Thread.sleep(150); // a slow TTS service: headers come late, the body streams
            ex.getResponseHeaders().add("Content-Type", "audio/wav");
            ex.sendResponseHeaders(200, wav.length);
            for (int off = 0; off < wav.length; off += 8_000) {
              out.write(wav, off, Math.min(8_000, wav.length - off));
              out.flush();
              Thread.sleep(100);
            }
          } catch (Exception clientWentAway) {
            // a replaced playback closed its connection
          } finally {
            open.decrementAndGet();
          }
        });
    files.start();
    try (BridgeHarness h = new BridgeHarness()) {
      assertThat(h.join("flooder", "flood-play-room", "").getSuccess()).isTrue();
      String url =
          "http://"
              + TestEnvironment.get().nodeIp()
              + ":"
              + files.getAddress().getPort()
              + "/slow.wav";
      List<PlaybackTest.Events> calls = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        PlaybackTest.Events events = new PlaybackTest.Events();
        calls.add(events);
        h.async.playAudio(
            PlayAudioRequest.newBuilder()
                .setUserId("flooder")
                .setRequestId("flood-" + i)
                .setAudioUrl(url)
                .setTrackId(2)
                .build(),
            events);
      }
      int played = 0;
      int replaced = 0;
      for (PlaybackTest.Events events : calls) {
        PlayAudioEvent end = events.terminal(Duration.ofSeconds(30));
        assertThat(end.getType()).isEqualTo(PlayAudioEvent.EventType.COMPLETED);
        if (end.getStopReason().isEmpty()) played++;
        else if (end.getStopReason().equals("replaced")) replaced++;
      }
      System.out.printf(
          "50 PlayAudio at once: %d played to the end, %d replaced; file server saw %d requests, at most %d open at once%n",
          played, replaced, requests.get(), maxOpen.get());
      assertThat(played).isEqualTo(1);
      assertThat(replaced).isEqualTo(49);
      assertThat(maxOpen.get())
          .as("fetches open at the file server at once")
          .isLessThanOrEqualTo(2);
    } finally {
      files.stop(0);
    }
  }
}
