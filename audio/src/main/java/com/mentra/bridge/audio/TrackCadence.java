package com.mentra.bridge.audio;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * What one published track sends on each 10 ms clock tick. Every tick gets exactly one frame, the
 * sound that is waiting or silence, so the track's RTP timestamps follow the wall clock across
 * pauses: a receiver's jitter buffer then sees no late packets after a pause (libwebrtc's NetEq
 * remembers 2 s of arrivals and grows its target delay after a shorter stall) and a sound ends in
 * silence instead of a concealment tail. Idle silence stays cheap: Opus DTX (LiveKit negotiates
 * {@code usedtx=1}) sends one small packet per 400 ms once {@value #DTX_AFTER_MS} ms are silent.
 *
 * <p>Two holds keep a sound's start at its level:
 *
 * <ul>
 *   <li>A freshly published track sends silence until its first listener is attached ({@code
 *       listenerReady}), at most {@code maxHoldMs}. A listener whose decoder starts in the middle
 *       of a sound hears it 10-15 dB low for 100-200 ms: Opus codes each packet's band energies
 *       relative to the previous packet's, and a decoder that missed those converges only
 *       gradually. Without the hold every first sound of a new track started that way, because
 *       listeners subscribe 70-250 ms after the track is published.
 *   <li>A sound after {@value #DTX_AFTER_MS} ms of silence (Opus has switched to DTX) is preceded
 *       by {@value #PRE_ROLL_MS} ms of noise at about -60 dBFS, which takes encoder and receiver
 *       out of DTX; without it the sound's first 10 ms arrive ~8 dB low and the next 100 ms ~3 dB
 *       low.
 * </ul>
 *
 * <p>Use: call {@link #admit} (or {@link #sound}) once per tick, then send the sound frame if it
 * was admitted, else {@link #fill}. Confined to the clock thread; not thread-safe.
 */
public final class TrackCadence {
  /** Silence after which Opus is in DTX (libopus: 10 frames of 20 ms without activity). */
  public static final int DTX_AFTER_MS = 180;

  /** Noise sent before a sound that follows DTX silence. */
  public static final int PRE_ROLL_MS = 30;

  /**
   * Standard deviation of the pre-roll noise in 16-bit steps: about -61 dBFS, far below hearing at
   * any normal volume.
   */
  private static final double PRE_ROLL_SIGMA = 30;

  private final BooleanSupplier listenerReady;
  private final int maxHoldTicks;
  private final int dtxTicks = DTX_AFTER_MS / 10;
  private final int preRollTicks = PRE_ROLL_MS / 10;
  private final SplittableRandom noise = new SplittableRandom(0x5eed);
  private final Map<Integer, short[]> silence = new HashMap<>(2);
  private long ticks;
  private boolean holding = true;
  private int quietTicks;
  private int preRolled;
  private boolean noiseNext;

  /**
   * @param listenerReady whether the track's first listener is attached (polled during the hold)
   * @param maxHoldMs how long a fresh track holds its first sound at most when no listener attaches
   */
  public TrackCadence(BooleanSupplier listenerReady, int maxHoldMs) {
    this.listenerReady = listenerReady;
    this.maxHoldTicks = Math.max(0, maxHoldMs / 10);
  }

  /**
   * Same as {@link #admit(boolean, boolean)} for a caller that only knows whether a frame is ready.
   */
  public boolean admit(boolean soundReady) {
    return admit(soundReady, soundReady);
  }

  /**
   * One tick: whether the caller should send its next sound frame now ({@code soundReady}: it has
   * one). When not, the caller sends {@link #fill} and the sound waits. {@code soundComing}: a
   * sound is on its way but has no frame yet (a playback still fetching, a jitter buffer still
   * prebuffering); the pre-roll runs meanwhile, so it costs the sound no time when the wait is at
   * least as long.
   */
  public boolean admit(boolean soundReady, boolean soundComing) {
    ticks++;
    noiseNext = false;
    if (holding) {
      if (ticks <= maxHoldTicks && !listenerReady.getAsBoolean()) {
        quietTicks++;
        return false;
      }
      holding = false;
    }
    if (!soundReady && !soundComing) {
      quietTicks++;
      preRolled = 0;
      return false;
    }
    if (quietTicks >= dtxTicks) {
      // Opus is in DTX: wake it before the sound. Afterwards the codec is active again until
      // another DTX_AFTER_MS of silence, so waiting for a frame from here costs nothing.
      noiseNext = true;
      if (++preRolled >= preRollTicks) {
        quietTicks = 0;
        preRolled = 0;
      }
      return false;
    }
    if (!soundReady) {
      quietTicks++;
      return false;
    }
    quietTicks = 0;
    return true;
  }

  /**
   * One tick on which the caller sends a sound frame without asking (a fade-out that must not
   * wait).
   */
  public void sound() {
    ticks++;
    noiseNext = false;
    holding = false;
    quietTicks = 0;
    preRolled = 0;
  }

  /** Whether the fresh track's hold is still on (no sound has been admitted yet). */
  public boolean holding() {
    return holding;
  }

  /**
   * The frame to send on a tick whose sound was not admitted: silence, or pre-roll noise right
   * before a sound. {@code samples} interleaved samples; the silent frame is shared, do not modify
   * it.
   */
  public short[] fill(int samples) {
    if (!noiseNext) return silence.computeIfAbsent(samples, short[]::new);
    short[] frame = new short[samples];
    for (int i = 0; i < samples; i++)
      frame[i] = (short) Math.round(noise.nextGaussian() * PRE_ROLL_SIGMA);
    return frame;
  }
}
