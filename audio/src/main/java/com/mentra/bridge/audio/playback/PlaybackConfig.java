package com.mentra.bridge.audio.playback;

import com.mentra.bridge.audio.fetch.FetchPolicy;
import java.time.Duration;

/**
 * @param outputRate rate of the frames written to outputs (48 kHz: Opus's native rate)
 * @param decodeAheadMs bound of the decoded audio held per playback
 * @param trackIdle how long a track's output stays open with nothing playing
 */
public record PlaybackConfig(
    int outputRate,
    int decodeAheadMs,
    Duration progressInterval,
    Duration trackIdle,
    Duration maxDuration,
    FetchPolicy fetch) {
  public static PlaybackConfig defaults() {
    return new PlaybackConfig(
        48_000,
        1_000,
        Duration.ofSeconds(1),
        Duration.ofSeconds(5),
        Duration.ofMinutes(15),
        FetchPolicy.defaults());
  }

  public PlaybackConfig withFetch(FetchPolicy policy) {
    return new PlaybackConfig(
        outputRate, decodeAheadMs, progressInterval, trackIdle, maxDuration, policy);
  }

  public PlaybackConfig withMaxDuration(Duration max) {
    return new PlaybackConfig(outputRate, decodeAheadMs, progressInterval, trackIdle, max, fetch);
  }
}
