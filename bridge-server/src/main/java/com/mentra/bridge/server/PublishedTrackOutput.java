package com.mentra.bridge.server;

import com.mentra.bridge.audio.playback.PcmOutput;
import com.mentra.livekit.rtc.LocalAudioTrack;
import com.mentra.livekit.rtc.LocalAudioTrackOptions;
import com.mentra.livekit.rtc.Room;
import com.mentra.livekit.rtc.TrackSource;

/**
 * A {@link com.mentra.bridge.audio.playback.Player Player} track's output: one LiveKit track,
 * published when the player opens the output and unpublished when it closes it. Each track id
 * ("speaker", "app_audio", "tts", ...) is its own track, so listeners can tell them apart.
 * Thread-safe as {@link LocalAudioTrack} is.
 */
final class PublishedTrackOutput implements PcmOutput {
  private final LocalAudioTrack track;
  private final int sampleRate;

  private PublishedTrackOutput(LocalAudioTrack track, int sampleRate) {
    this.track = track;
    this.sampleRate = sampleRate;
  }

  /**
   * Publishes the track for {@code trackId} in {@code room}, to be fed mono frames at {@code
   * sampleRate} (the playback engine's output rate); blocks until it is published.
   */
  static PublishedTrackOutput open(Room room, int trackId, int sampleRate) throws Exception {
    LocalAudioTrack track =
        room.publishAudio(
            new LocalAudioTrackOptions(TrackNames.playback(trackId), TrackSource.MICROPHONE));
    return new PublishedTrackOutput(track, sampleRate);
  }

  @Override
  public void write(short[] frame) {
    track.pushFrame(frame, sampleRate, 1);
  }

  @Override
  public boolean listening() {
    return track.listening();
  }

  @Override
  public void close() {
    track.unpublish();
  }
}
