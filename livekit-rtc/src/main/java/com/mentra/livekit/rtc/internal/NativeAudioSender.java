package com.mentra.livekit.rtc.internal;

import com.mentra.bridge.dsp.Pcm16;
import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.media.audio.AudioTrack;
import dev.onvoid.webrtc.media.audio.CustomAudioSource;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * A libwebrtc audio track fed with PCM pushed from Java. Owns its native source and track; {@link
 * #dispose()} is idempotent and waits for an in-flight push, so no push touches freed memory.
 * Thread-safe.
 *
 * <p>webrtc-java's {@code CustomAudioSource} (0.14) walks its list of sinks on every push without a
 * lock, and libwebrtc adds or removes a sink when the track is attached to or detached from a peer
 * connection's sender. Since a published track is pushed every 10 ms (silence included), the room
 * attaches and detaches it only through {@link #withPushesPaused}, which excludes pushes.
 */
public final class NativeAudioSender {
  private final CustomAudioSource source;
  private final AudioTrack track;
  private final String trackId;
  private final ReentrantLock lock = new ReentrantLock();
  private byte[] scratch = new byte[0];
  private boolean stopped;
  private boolean disposed;

  public NativeAudioSender(PeerConnectionFactory factory, String trackId) {
    this.source = new CustomAudioSource();
    this.track = factory.createAudioTrack(trackId, source);
    this.trackId = trackId;
  }

  public AudioTrack track() {
    return track;
  }

  /**
   * Pushes one frame of interleaved samples; ignored after {@link #stop()} or {@link #dispose()},
   * and dropped (never blocking the caller) while the track is being attached or detached.
   */
  public void push(short[] samples, int sampleRate, int channels, int frames) {
    if (!lock.tryLock()) return;
    try {
      if (stopped || disposed) return;
      int bytes = samples.length * Pcm16.BYTES;
      if (scratch.length != bytes) scratch = new byte[bytes];
      Pcm16.encode(samples, 0, samples.length, scratch, 0);
      source.pushAudio(scratch, 16, sampleRate, channels, frames);
    } finally {
      lock.unlock();
    }
  }

  /** Runs {@code action} (attaching or detaching the track) with no push in flight or starting. */
  public <T> T withPushesPaused(Supplier<T> action) {
    lock.lock();
    try {
      return action.get();
    } finally {
      lock.unlock();
    }
  }

  /** Ignores every later push; once this returns no push is in flight. Idempotent. */
  public void stop() {
    lock.lock();
    try {
      stopped = true;
    } finally {
      lock.unlock();
    }
  }

  public void dispose() {
    lock.lock();
    try {
      if (disposed) return;
      disposed = true;
      // webrtc-java's dispose drops our reference and then throws Error when something else still
      // holds the object: a stopped transceiver's sender keeps its track until the peer connection
      // is freed (NativeReferences), and the track keeps its source. Both go then; the source
      // is released whatever the track's dispose said (before, a throw skipped it: one leaked
      // source per unpublished track).
      try {
        track.dispose();
      } catch (Error e) {
        LoggerFactory.getLogger(NativeAudioSender.class)
            .debug(
                "audio track {} freed later, with its peer connection: {}",
                trackId,
                e.getMessage());
      }
      try {
        source.dispose();
      } catch (Error e) {
        LoggerFactory.getLogger(NativeAudioSender.class)
            .debug("audio source of {} freed later, with its track: {}", trackId, e.getMessage());
      }
    } finally {
      lock.unlock();
    }
  }
}
