package com.mentra.livekit.rtc;

/**
 * Receives a subscribed track's audio. Calls for one subscription are serialized and never run on a
 * libwebrtc thread; a slow listener makes the subscription drop its oldest frames instead of
 * blocking media.
 */
@FunctionalInterface
public interface AudioFrameListener {
  void onFrame(AudioFrame frame);
}
