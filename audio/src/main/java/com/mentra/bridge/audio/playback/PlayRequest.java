package com.mentra.bridge.audio.playback;

import java.net.URI;

/**
 * @param volume 0 to 2; 0 means "unset" and plays at 1 (the existing client sends 0)
 * @param stopOther stop everything this player plays, not only the same track
 */
public record PlayRequest(String requestId, URI uri, float volume, int trackId, boolean stopOther) {
  public double gain() {
    return volume <= 0 ? 1.0 : Math.min(2.0, volume);
  }
}
