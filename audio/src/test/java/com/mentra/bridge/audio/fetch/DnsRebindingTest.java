package com.mentra.bridge.audio.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Dns;
import org.junit.jupiter.api.Test;

/**
 * Vetting and connecting share one lookup: a rebinding DNS server gets exactly one question per
 * connection, and the connection can only go to what that answer said. (Before, the address was
 * checked with one lookup and java.net.http resolved the name again to connect.)
 */
class DnsRebindingTest {
  @Test
  void theConnectionUsesTheAnswerThatWasVettedAndAsksOnlyOnce() {
    AtomicInteger questions = new AtomicInteger();
    // Answers a private address: vetting must refuse it, and nobody may ask a second time
    // (a second answer is what a rebinding server would change).
    Dns rebinding =
        host -> {
          questions.incrementAndGet();
          return List.of(InetAddress.getLoopbackAddress());
        };
    AudioFetcher fetcher = new AudioFetcher(FetchPolicy.defaults(), rebinding);
    FetchException e =
        catchThrowableOfType(
            FetchException.class, () -> fetcher.open(URI.create("http://rebind.example/tts.mp3")));
    assertThat(e.kind()).isEqualTo(FetchException.Kind.REFUSED_ADDRESS);
    assertThat(e.getMessage()).contains("rebind.example resolves to a loopback address");
    assertThat(questions.get()).as("DNS questions for one fetch").isEqualTo(1);
  }

  @Test
  void anyRefusedAddressAmongTheAnswersRefusesTheHost() {
    Dns mixed =
        host ->
            List.of(
                InetAddress.getByAddress(host, new byte[] {(byte) 203, 0, 113, 5}),
                InetAddress.getByAddress(host, new byte[] {10, 0, 0, 7}));
    FetchException e =
        catchThrowableOfType(
            FetchException.class,
            () ->
                new AudioFetcher(FetchPolicy.defaults(), mixed)
                    .open(URI.create("http://mixed.example/a.wav")));
    assertThat(e.kind()).isEqualTo(FetchException.Kind.REFUSED_ADDRESS);
    assertThat(e.getMessage()).contains("private address (10.0.0.7)");
  }
}
