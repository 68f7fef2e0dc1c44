package com.mentra.livekit.rtc;

public enum TrackKind {
  AUDIO,
  VIDEO,
  DATA,
  UNKNOWN
}
