package com.mentra.bridge.server;

import com.mentra.bridge.audio.fetch.FetchPolicy;
import com.mentra.bridge.audio.playback.PlaybackConfig;
import com.mentra.bridge.audio.playback.PlaybackEngine;
import com.mentra.bridge.dsp.AudioClock;
import com.mentra.livekit.rtc.Room;
import java.time.Duration;

/**
 * Makes each joined session's {@link PlayAudioHandler}: owns the process's one {@link
 * PlaybackEngine}, set up from the bridge's configuration (private-address policy, size and
 * duration limits), and gives every session a player whose track outputs publish into that
 * session's room. Thread-safe.
 */
final class PlayAudioHandlerFactory {
  private final PlaybackEngine engine;
  private final int outputRate;
  private final BridgeMetrics metrics;

  PlayAudioHandlerFactory(BridgeConfig config, AudioClock clock, BridgeMetrics metrics) {
    FetchPolicy fetch =
        FetchPolicy.defaults()
            .withAllowPrivateAddresses(config.allowPrivateAudioUrls())
            .withMaxBytes(config.maxAudioBytes());
    PlaybackConfig playback =
        PlaybackConfig.defaults()
            .withFetch(fetch)
            .withMaxDuration(Duration.ofSeconds(config.maxAudioSeconds()));
    this.engine = new PlaybackEngine(playback, clock);
    this.outputRate = playback.outputRate();
    this.metrics = metrics;
  }

  /** The handler for {@code session}, once its {@code room} is joined. */
  PlayAudioHandler create(BridgeSession session, Room room) {
    return new PlayAudioHandler(
        session,
        engine.newPlayer(trackId -> PublishedTrackOutput.open(room, trackId, outputRate)),
        metrics);
  }
}
