package com.mentra.bridge.audio.playback;

/**
 * Opens a track's output lazily, on the track's first playback; it is closed after an idle period.
 */
@FunctionalInterface
public interface PcmOutputFactory {
  PcmOutput open(int trackId) throws Exception;
}
