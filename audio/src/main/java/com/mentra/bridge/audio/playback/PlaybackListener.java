package com.mentra.bridge.audio.playback;

/**
 * A playback's events, called in order on the player's event thread (never the clock thread).
 * Exactly one of {@link #onCompleted} and {@link #onFailed} ends every playback.
 */
public interface PlaybackListener {
  /**
   * The first frame went out.
   *
   * @param durationMs the duration the source declares (WAV header, MP3 Xing/Info or VBRI frame,
   *     raw PCM's Content-Length), 0 when unknown; the played duration comes with onCompleted
   */
  void onStarted(long durationMs);

  /**
   * @param durationMs as in {@link #onStarted}, the same value on every event of a playback
   */
  void onProgress(long positionMs, long durationMs);

  /**
   * @param reason null when it played to the end
   */
  void onCompleted(long durationMs, StopReason reason);

  void onFailed(PlaybackError error, long positionMs);
}
