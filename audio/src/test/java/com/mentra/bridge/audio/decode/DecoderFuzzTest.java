package com.mentra.bridge.audio.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile input at volume: valid files of every decoder (WAV, MP3, Ogg Opus, L16) mutated by a
 * seeded loop (bit flips, byte changes, inserted/removed runs, header fields set to extremes,
 * truncation). For each input the decoder may only end normally or throw its own IOException
 * (DecodeException, UnsupportedFormatException, FetchException...); it must finish within a bound,
 * and what it allocates must not follow header fields (a header claiming gigabytes gets no more
 * memory than the bytes it came with warrant). Seeds are fixed, so a failure reproduces; the count
 * is bounded by time (LKB_FUZZ_SECONDS per format, default 8).
 */
class DecoderFuzzTest {
  private static final long SECONDS_PER_FORMAT =
      Long.getLong(
          "lkb.fuzz.seconds",
          Long.parseLong(System.getenv().getOrDefault("LKB_FUZZ_SECONDS", "8")));
  private static final long MAX_MS_PER_INPUT = 2_000;

  /**
   * Per input; the inputs are at most ~100 KB, so this is far above honest needs and far below
   * header-driven ones.
   */
  private static final long MAX_ALLOCATED_BYTES = 64L * 1024 * 1024;

  private static final ExecutorService RUNNER =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "fuzz-decoder");
            t.setDaemon(true);
            return t;
          });
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  @AfterAll
  static void stop() {
    RUNNER.shutdownNow();
  }

  private record Seed(String name, byte[] bytes, String contentType, String path) {}

  private static List<Seed> seeds() throws Exception {
    double[] tone = Fixtures.tone(440, 16_000, 0.5);
    List<Seed> seeds = new ArrayList<>();
    seeds.add(new Seed("wav-pcm16", Fixtures.wav("pcm16", tone, 16_000, 1), "audio/wav", "/a.wav"));
    seeds.add(
        new Seed("wav-float", Fixtures.wav("float32", tone, 16_000, 2), "audio/wav", "/a.wav"));
    seeds.add(
        new Seed(
            "wav-ulaw",
            Fixtures.wav("mulaw", Fixtures.tone(440, 8_000, 0.5), 8_000, 1),
            "audio/wav",
            "/a.wav"));
    seeds.add(
        new Seed(
            "mp3",
            Fixtures.mp3(Fixtures.tone(440, 22_050, 0.5), 22_050, 1),
            "audio/mpeg",
            "/a.mp3"));
    seeds.add(
        new Seed(
            "ogg-opus",
            Fixtures.opus(Fixtures.tone(440, 48_000, 0.5), 48_000, 1),
            "audio/ogg",
            "/a.opus"));
    seeds.add(
        new Seed(
            "l16",
            Fixtures.pcm(tone, 1, 2, true, false),
            "audio/L16;rate=16000;channels=1",
            "/a.pcm"));
    return seeds;
  }

  @Test
  void mutatedInputsOnlyEverFailWithTheDecodersOwnErrorsInBoundedTimeAndMemory() throws Exception {
    List<Seed> seeds = seeds();
    for (Seed seed : seeds) {
      Random random = new Random(seed.name().hashCode());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS_PER_FORMAT);
      int inputs = 0;
      int rejected = 0;
      long worstMs = 0;
      long worstBytes = 0;
      while (System.nanoTime() < deadline) {
        byte[] input = mutate(seed.bytes(), random);
        Outcome outcome = decode(input, seed);
        inputs++;
        if (outcome.rejected()) rejected++;
        worstMs = Math.max(worstMs, outcome.millis());
        worstBytes = Math.max(worstBytes, outcome.allocated());
        if (outcome.unexpected() != null) {
          throw new AssertionError(
              seed.name()
                  + " input #"
                  + inputs
                  + " (seed "
                  + seed.name().hashCode()
                  + ") threw "
                  + outcome.unexpected(),
              outcome.unexpected());
        }
        assertThat(outcome.millis())
            .as("%s input #%d decode time", seed.name(), inputs)
            .isLessThan(MAX_MS_PER_INPUT);
        assertThat(outcome.allocated())
            .as("%s input #%d bytes allocated", seed.name(), inputs)
            .isLessThan(MAX_ALLOCATED_BYTES);
      }
      System.out.printf(
          "fuzz %-9s: %5d inputs, %5d rejected by the decoder, worst %4d ms, worst %6.1f MB allocated%n",
          seed.name(), inputs, rejected, worstMs, worstBytes / 1e6);
      assertThat(inputs).as("inputs tried for " + seed.name()).isGreaterThan(20);
    }
  }

  private record Outcome(boolean rejected, Throwable unexpected, long millis, long allocated) {}

  private static Outcome decode(byte[] input, Seed seed) throws Exception {
    Future<Outcome> run =
        RUNNER.submit(
            () -> {
              long threadId = Thread.currentThread().threadId();
              long allocatedBefore = THREADS.getThreadAllocatedBytes(threadId);
              long started = System.nanoTime();
              boolean rejected = false;
              Throwable unexpected = null;
              try (DecodedAudioStream stream =
                  AudioDecoders.open(
                      new ByteArrayInputStream(input),
                      seed.contentType(),
                      seed.path(),
                      input.length)) {
                stream.declaredDurationMs();
                short[] buffer = new short[4096 * Math.max(1, Math.min(8, stream.channels()))];
                while (stream.read(buffer) >= 0) {
                  // drain
                }
              } catch (IOException e) {
                rejected = true; // the decoder's own, clear failure
              } catch (Throwable t) {
                unexpected = t;
              }
              return new Outcome(
                  rejected,
                  unexpected,
                  (System.nanoTime() - started) / 1_000_000,
                  THREADS.getThreadAllocatedBytes(threadId) - allocatedBefore);
            });
    try {
      return run.get(MAX_MS_PER_INPUT * 5, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      run.cancel(true);
      throw new AssertionError(
          seed.name() + ": a decode did not finish within " + MAX_MS_PER_INPUT * 5 + " ms (hang)");
    }
  }

  /** One to four mutations of the seed; header-sized regions are hit more often. */
  private static byte[] mutate(byte[] seed, Random random) {
    byte[] data = seed.clone();
    int mutations = 1 + random.nextInt(4);
    for (int m = 0; m < mutations; m++) {
      int headerBiased = random.nextBoolean() ? Math.min(data.length, 128) : data.length;
      if (data.length == 0) break;
      int at = random.nextInt(Math.max(1, headerBiased));
      switch (random.nextInt(7)) {
        case 0 -> data[at] ^= (byte) (1 << random.nextInt(8));
        case 1 -> data[at] = (byte) random.nextInt(256);
        case 2 -> { // a 32-bit field set to an extreme
          int v =
              switch (random.nextInt(4)) {
                case 0 -> 0;
                case 1 -> -1;
                case 2 -> Integer.MAX_VALUE;
                default -> random.nextInt();
              };
          for (int i = 0; i < 4 && at + i < data.length; i++) data[at + i] = (byte) (v >> (8 * i));
        }
        case 3 -> data = java.util.Arrays.copyOf(data, random.nextInt(data.length + 1)); // truncate
        case 4 -> { // remove a run
          int len = Math.min(data.length - at, 1 + random.nextInt(64));
          byte[] shorter = new byte[data.length - len];
          System.arraycopy(data, 0, shorter, 0, at);
          System.arraycopy(data, at + len, shorter, at, data.length - at - len);
          data = shorter;
        }
        case 5 -> { // insert random bytes
          int len = 1 + random.nextInt(64);
          byte[] longer = new byte[data.length + len];
          System.arraycopy(data, 0, longer, 0, at);
          for (int i = 0; i < len; i++) longer[at + i] = (byte) random.nextInt(256);
          System.arraycopy(data, at, longer, at + len, data.length - at);
          data = longer;
        }
        default -> { // duplicate a run (repeated chunks / pages)
          int len = Math.min(data.length - at, 1 + random.nextInt(256));
          byte[] longer = new byte[data.length + len];
          System.arraycopy(data, 0, longer, 0, at + len);
          System.arraycopy(data, at, longer, at + len, data.length - at);
          data = longer;
        }
      }
    }
    return data;
  }
}
