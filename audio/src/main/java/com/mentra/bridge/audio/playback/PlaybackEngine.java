package com.mentra.bridge.audio.playback;

import com.mentra.bridge.audio.fetch.AudioFetcher;
import com.mentra.bridge.dsp.AudioClock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * What every player shares: the 10 ms clock, the fetcher, and virtual threads for fetching,
 * decoding, opening outputs and delivering events. Thread-safe; {@link #close()} stops the threads
 * (players should be closed first).
 */
public final class PlaybackEngine implements AutoCloseable {
  private final PlaybackConfig config;
  private final AudioClock clock;
  private final AudioFetcher fetcher;
  private final ExecutorService workers =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("playback-", 0).factory());

  public PlaybackEngine(PlaybackConfig config, AudioClock clock) {
    this.config = config;
    this.clock = clock;
    this.fetcher = new AudioFetcher(config.fetch());
  }

  /** A player for one session, writing to outputs from {@code outputs}. */
  public Player newPlayer(PcmOutputFactory outputs) {
    return new Player(this, outputs);
  }

  PlaybackConfig config() {
    return config;
  }

  AudioClock clock() {
    return clock;
  }

  AudioFetcher fetcher() {
    return fetcher;
  }

  ExecutorService workers() {
    return workers;
  }

  @Override
  public void close() {
    workers.shutdownNow();
  }
}
