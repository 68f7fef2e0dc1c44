package com.mentra.bridge.audio.playback;

import com.mentra.bridge.audio.TrackCadence;
import com.mentra.bridge.core.Handoff;
import com.mentra.bridge.core.SerializingExecutor;
import com.mentra.bridge.dsp.AudioClock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One session's playback: per track id at most one playing request, each track with its own output
 * (so different tracks play at the same time and are heard separately), paced by the shared clock.
 * A replaced or stopped playback fades out over one 10 ms frame and ends with {@code
 * onCompleted(duration, reason)}. A track's output opens with its first playback and closes after
 * the engine's idle period; while open it gets a frame on every tick, silence between sounds, and
 * its sounds start cleanly (see {@link TrackCadence}). Thread-safe.
 */
public final class Player implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Player.class);

  /** How long a freshly opened output holds its first sound for a listener to attach, at most. */
  static final int FRESH_OUTPUT_MAX_HOLD_MS = 500;

  private final PlaybackEngine engine;
  private final PcmOutputFactory outputs;
  private final SerializingExecutor events;

  /**
   * Fetches this player may have open at once: a flood of PlayAudio calls for one user opens at
   * most this many connections; the ones replaced while waiting never fetch.
   */
  static final int MAX_CONCURRENT_FETCHES = 2;

  private final java.util.concurrent.Semaphore fetchSlots =
      new java.util.concurrent.Semaphore(MAX_CONCURRENT_FETCHES);
  private final Map<Integer, Track> tracks = new HashMap<>();
  private final AudioClock.Registration tick;
  private boolean closed;

  /** A track id's output and what plays on it. */
  private static final class Track {
    final int id;
    PcmOutput output;
    TrackCadence cadence;
    boolean opening;
    Playback current;
    final List<Playback> ending = new ArrayList<>();
    long idleSinceNanos = System.nanoTime();

    Track(int id) {
      this.id = id;
    }
  }

  Player(PlaybackEngine engine, PcmOutputFactory outputs) {
    this.engine = engine;
    this.outputs = outputs;
    this.events = new SerializingExecutor(engine.workers(), 10_000, "playback-events");
    this.tick = engine.clock().register(t -> onTick());
  }

  /** Queues a listener call; never throws into the clock thread (a full queue is retried). */
  private void emit(Runnable call) {
    Handoff.persistently(events, call, "a playback event");
  }

  /** Starts {@code request}; its events go to {@code listener}. */
  public PlaybackHandle play(PlayRequest request, PlaybackListener listener) {
    Playback playback = new Playback(request, listener, engine.config());
    synchronized (this) {
      if (closed) {
        emit(() -> listener.onCompleted(0, StopReason.CLOSED));
        return () -> false;
      }
      if (request.stopOther()) {
        for (Track t : tracks.values()) endCurrent(t, StopReason.REPLACED);
      } else {
        Track same = tracks.get(request.trackId());
        if (same != null) endCurrent(same, StopReason.REPLACED);
      }
      Track track = tracks.computeIfAbsent(request.trackId(), Track::new);
      track.current = playback;
    }
    engine
        .workers()
        .execute(() -> playback.decode(engine, () -> ensureOutput(request.trackId()), fetchSlots));
    return () -> cancel(playback);
  }

  private synchronized boolean cancel(Playback playback) {
    Track track = tracks.get(playback.request.trackId());
    return track != null && track.current == playback && endCurrent(track, StopReason.CANCELLED);
  }

  /** Stops {@code trackId}, or every track for -1; returns the request ids that were playing. */
  public List<String> stop(int trackId) {
    List<String> stopped = new ArrayList<>();
    synchronized (this) {
      for (Track t : tracks.values()) {
        if (trackId != -1 && t.id != trackId) continue;
        Playback p = t.current;
        if (endCurrent(t, StopReason.STOPPED)) stopped.add(p.request.requestId());
      }
    }
    return stopped;
  }

  private boolean endCurrent(Track track, StopReason reason) {
    Playback p = track.current;
    if (p == null) return false;
    p.stopReason = reason;
    p.cancel(); // also aborts its fetch: a replaced playback frees its connection at once
    track.ending.add(p);
    track.current = null;
    track.idleSinceNanos = System.nanoTime();
    return true;
  }

  /** Opens the track's output (on a decode thread: publishing a track can take a while). */
  private void ensureOutput(int trackId) {
    synchronized (this) {
      Track track = tracks.get(trackId);
      if (track == null || track.output != null || closed) return;
      while (track.opening) {
        try {
          wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        if (track.output != null) return;
      }
      track.opening = true;
    }
    PcmOutput opened = null;
    RuntimeException failure = null;
    try {
      opened = outputs.open(trackId);
    } catch (Exception e) {
      failure =
          new Playback.OutputException(
              "could not open the output for track " + trackId + ": " + e.getMessage(), e);
    }
    synchronized (this) {
      Track track = tracks.get(trackId);
      track.opening = false;
      notifyAll();
      if (closed && opened != null) {
        closeOutput(opened);
      } else if (opened != null) {
        PcmOutput output = opened;
        track.output = output;
        track.cadence = new TrackCadence(output::listening, FRESH_OUTPUT_MAX_HOLD_MS);
      }
    }
    if (failure != null) throw failure;
  }

  private void onTick() {
    List<Runnable> toClose = new ArrayList<>();
    int frameSamples = engine.config().outputRate() / 100;
    synchronized (this) {
      if (closed) return;
      long now = System.nanoTime();
      for (Track track : tracks.values()) {
        // Exactly one frame per tick to an open output: a fade-out, the sound, or silence.
        short[] out = null;
        for (Playback p : track.ending) {
          if (out == null && track.output != null && p.started) {
            short[] frame = p.frames.poll();
            if (frame != null) {
              fadeOut(frame);
              out = frame;
              p.framesOut++;
            }
          }
          finish(p, null);
        }
        track.ending.clear();
        if (out != null) track.cadence.sound();
        Playback p = track.current;
        if (p != null) {
          short[] frame = null;
          // A playback without a frame yet (fetching, decoding) is a sound on its way.
          if (out == null
              && track.output != null
              && track.cadence.admit(p.frames.peek() != null, !p.decodeDone))
            frame = p.frames.poll();
          if (frame != null) {
            out = frame;
            p.framesOut++;
            long declared = p.declaredDurationMs;
            if (!p.started) {
              p.started = true;
              emit(() -> p.listener.onStarted(declared));
            }
            long position = p.positionMs();
            if (position >= p.nextProgressMs) {
              p.nextProgressMs += engine.config().progressInterval().toMillis();
              emit(() -> p.listener.onProgress(position, declared));
            }
          } else if (p.decodeDone && p.frames.isEmpty()) {
            finish(p, null);
            track.current = null;
            track.idleSinceNanos = now;
          }
        } else if (track.output != null && out == null) {
          if (now - track.idleSinceNanos > engine.config().trackIdle().toNanos()) {
            PcmOutput idle = track.output;
            track.output = null;
            track.cadence = null;
            toClose.add(() -> closeOutput(idle));
            continue;
          }
          track.cadence.admit(false);
        }
        if (track.output != null)
          track.output.write(out != null ? out : track.cadence.fill(frameSamples));
      }
    }
    for (Runnable r : toClose) engine.workers().execute(r);
  }

  /** Sends the terminal event: the stop reason if stopped, else the decode error, else done. */
  private void finish(Playback p, StopReason override) {
    if (p.finished) return;
    p.finished = true;
    p.cancel();
    StopReason reason = override != null ? override : p.stopReason;
    long position = p.positionMs();
    PlaybackError error = p.error;
    if (reason != null) {
      emit(() -> p.listener.onCompleted(position, reason));
    } else if (error != null) {
      emit(() -> p.listener.onFailed(error, position));
    } else {
      emit(() -> p.listener.onCompleted(position, null));
    }
  }

  private static void fadeOut(short[] frame) {
    for (int i = 0; i < frame.length; i++)
      frame[i] = (short) (frame[i] * (double) (frame.length - 1 - i) / frame.length);
  }

  private void closeOutput(PcmOutput output) {
    try {
      output.close();
    } catch (RuntimeException e) {
      log.warn("closing a playback output failed", e);
    }
  }

  /** Ends every playback (onCompleted with CLOSED) and closes the outputs; idempotent. */
  @Override
  public void close() {
    List<PcmOutput> open = new ArrayList<>();
    synchronized (this) {
      if (closed) return;
      closed = true;
      for (Track track : tracks.values()) {
        for (Playback p : track.ending) finish(p, null);
        track.ending.clear();
        if (track.current != null) finish(track.current, StopReason.CLOSED);
        track.current = null;
        if (track.output != null) open.add(track.output);
        track.output = null;
        track.cadence = null;
      }
      notifyAll();
    }
    tick.close();
    for (PcmOutput output : open) closeOutput(output);
  }
}
