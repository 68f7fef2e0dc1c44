package com.mentra.bridge.audio.playback;

/** Why a playback ended before its end. */
public enum StopReason {
  /** StopAudio. */
  STOPPED,
  /** A new playback on the same track (or with stop_other) took its place. */
  REPLACED,
  /** The session closed. */
  CLOSED,
  /** The caller cancelled this playback (e.g. its PlayAudio call was cancelled). */
  CANCELLED
}
