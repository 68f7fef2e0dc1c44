package com.mentra.bridge.audio.playback;

import java.net.URI;

/**
 * @param volume a linear gain; 0 (what the existing client sends when unset) means 1. Values above
 *     1 boost; samples that would overflow are limited with a soft knee, never wrapped.
 * @param stopOther stop everything this player plays, not only the same track
 */
public record PlayRequest(String requestId, URI uri, float volume, int trackId, boolean stopOther) {
  /** Gains beyond this are treated as this (+40 dB): the limiter has long flattened everything. */
  static final double MAX_GAIN = 100.0;

  public double gain() {
    return volume <= 0 || Float.isNaN(volume) ? 1.0 : Math.min(MAX_GAIN, volume);
  }
}
