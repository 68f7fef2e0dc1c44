package com.mentra.livekit.rtc;

import java.util.Objects;

/**
 * A local audio track to publish.
 *
 * @param name track name other participants see
 * @param source what LiveKit reports the track as (usually MICROPHONE)
 */
public record LocalAudioTrackOptions(String name, TrackSource source) {
  public LocalAudioTrackOptions {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(source, "source");
  }

  public static LocalAudioTrackOptions microphone(String name) {
    return new LocalAudioTrackOptions(name, TrackSource.MICROPHONE);
  }
}
