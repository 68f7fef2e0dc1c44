package com.mentra.livekit.rtc;

import com.mentra.livekit.rtc.internal.NativeAudioSender;
import java.util.Objects;

/**
 * An audio track this participant publishes. Feed it 10 ms frames of 16-bit PCM in real time (the
 * caller paces; see the audio module's clock), silence included: RTP timestamps count the samples
 * pushed, so a track left unfed during a pause has receivers' jitter buffers grow. Any common rate
 * (8, 16, 24, 44.1, 48 kHz), mono or stereo; libwebrtc resamples for the Opus encoder, and applies
 * no other processing (no gain control, noise suppression or filtering).
 *
 * <p>Thread-safe: frames may be pushed from any one thread at a time while the room reconnects or
 * unpublishes; frames pushed after {@link #unpublish()} are ignored. Owned by its {@link Room}.
 */
public final class LocalAudioTrack {
  private final String cid;
  private final LocalAudioTrackOptions options;
  private final NativeAudioSender sender;
  private final Room room;
  private volatile String sid;
  private volatile boolean subscribed;

  LocalAudioTrack(Room room, String cid, LocalAudioTrackOptions options, NativeAudioSender sender) {
    this.room = room;
    this.cid = cid;
    this.options = options;
    this.sender = sender;
  }

  /** The server-assigned track sid (changes when the room rejoins after a lost connection). */
  public String sid() {
    return sid;
  }

  /** The client id LiveKit knows this track by before it has a sid. */
  public String cid() {
    return cid;
  }

  public String name() {
    return options.name();
  }

  public TrackSource source() {
    return options.source();
  }

  /**
   * Whether anyone can hear this track yet: LiveKit has attached its first subscriber (the server's
   * "track subscribed" signal, sent once the subscriber's transport forwards the track), or nobody
   * else is in the room. Audio pushed before that reaches no one, and a listener attached in the
   * middle of a sound hears its first 100-200 ms 10-15 dB low (its Opus decoder starts without the
   * previous packets' band energies), so a caller holds a fresh track's first sound until this is
   * true (for a bounded time).
   */
  public boolean listening() {
    return subscribed || room.remoteParticipants().isEmpty();
  }

  /**
   * Pushes one 10 ms frame.
   *
   * @param samples {@code sampleRate / 100 * channels} interleaved samples
   * @throws IllegalArgumentException when the frame is not 10 ms long at that rate
   */
  public void pushFrame(short[] samples, int sampleRate, int channels) {
    Objects.requireNonNull(samples, "samples");
    if (channels != 1 && channels != 2)
      throw new IllegalArgumentException("channels must be 1 or 2, got " + channels);
    if (sampleRate < 8000
        || sampleRate > 48000
        || sampleRate % 100 != 0
            && sampleRate != 44100
            && sampleRate != 22050
            && sampleRate != 11025) {
      throw new IllegalArgumentException("unsupported sample rate " + sampleRate);
    }
    int frames = sampleRate / 100;
    if (samples.length != frames * channels) {
      throw new IllegalArgumentException(
          "a 10 ms frame at "
              + sampleRate
              + " Hz x"
              + channels
              + " has "
              + frames * channels
              + " samples, got "
              + samples.length);
    }
    sender.push(samples, sampleRate, channels, frames);
  }

  /**
   * Stops publishing; idempotent. Same as {@link Room#unpublish(LocalAudioTrack)}. Frames pushed
   * once this returns are ignored.
   */
  public void unpublish() {
    room.unpublish(this);
  }

  NativeAudioSender sender() {
    return sender;
  }

  void setSid(String sid) {
    this.sid = sid;
  }

  void markSubscribed() {
    subscribed = true;
  }
}
