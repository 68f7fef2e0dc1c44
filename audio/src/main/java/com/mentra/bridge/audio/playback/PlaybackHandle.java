package com.mentra.bridge.audio.playback;

/**
 * One started playback, as {@link Player#play} returned it. Unlike {@link Player#stop}, which stops
 * whatever plays on a track, cancelling a handle only ends its own playback, so a caller that went
 * away cannot stop a newer request. Thread-safe.
 */
@FunctionalInterface
public interface PlaybackHandle {
  /**
   * Ends the playback with {@link StopReason#CANCELLED} if it is still playing; returns whether it
   * was. Idempotent.
   */
  boolean cancel();
}
