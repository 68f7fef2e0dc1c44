package com.mentra.livekit.rtc;

/** What a track carries, as LiveKit names it. */
public enum TrackSource {
  UNKNOWN,
  CAMERA,
  MICROPHONE,
  SCREEN_SHARE,
  SCREEN_SHARE_AUDIO
}
