package com.mentra.bridge.audio.playback;

/**
 * A playback's events, called in order on the player's event thread (never the clock thread).
 * Exactly one of {@link #onCompleted} and {@link #onFailed} ends every playback.
 */
public interface PlaybackListener {
  /** The first frame went out. */
  void onStarted();

  void onProgress(long positionMs);

  /** @param reason null when it played to the end */
  void onCompleted(long durationMs, StopReason reason);

  void onFailed(PlaybackError error, long positionMs);
}
