package com.mentra.livekit.rtc.internal;

import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.media.audio.AudioTrack;
import dev.onvoid.webrtc.media.audio.CustomAudioSource;
import org.slf4j.LoggerFactory;

/**
 * A libwebrtc audio track fed with PCM pushed from Java. Owns its native source and track;
 * {@link #dispose()} is idempotent and waits for an in-flight push, so no push touches freed
 * memory. Thread-safe.
 */
public final class NativeAudioSender {
  private final CustomAudioSource source;
  private final AudioTrack track;
  private final String trackId;
  private byte[] scratch = new byte[0];
  private boolean disposed;

  public NativeAudioSender(PeerConnectionFactory factory, String trackId) {
    this.source = new CustomAudioSource();
    this.track = factory.createAudioTrack(trackId, source);
    this.trackId = trackId;
  }

  public AudioTrack track() {
    return track;
  }

  /** Pushes one frame of interleaved samples; ignored after dispose. */
  public synchronized void push(short[] samples, int sampleRate, int channels, int frames) {
    if (disposed) return;
    int bytes = samples.length * 2;
    if (scratch.length != bytes) scratch = new byte[bytes];
    for (int i = 0, j = 0; i < samples.length; i++, j += 2) {
      short s = samples[i];
      scratch[j] = (byte) s;
      scratch[j + 1] = (byte) (s >> 8);
    }
    source.pushAudio(scratch, 16, sampleRate, channels, frames);
  }

  public synchronized void dispose() {
    if (disposed) return;
    disposed = true;
    try {
      track.dispose();
      source.dispose();
    } catch (Error e) {
      // webrtc-java throws Error when a peer connection still references the track; leaking one
      // track is better than failing the caller's close.
      LoggerFactory.getLogger(NativeAudioSender.class).warn("audio track {} still referenced; not freed: {}", trackId, e.getMessage());
    }
  }
}
