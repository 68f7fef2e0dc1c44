package com.mentra.livekit.rtc;

/** LiveKit's two data channels: ordered and retransmitted, or unordered best-effort. */
public enum DataKind {
  RELIABLE,
  LOSSY
}
