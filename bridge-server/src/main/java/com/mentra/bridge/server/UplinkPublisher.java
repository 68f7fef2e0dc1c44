package com.mentra.bridge.server;

import com.mentra.bridge.audio.TrackCadence;
import com.mentra.bridge.dsp.AudioClock;
import com.mentra.bridge.dsp.PacedPcmBuffer;
import com.mentra.bridge.dsp.Resampler;
import com.mentra.livekit.rtc.LocalAudioTrack;
import com.mentra.livekit.rtc.LocalAudioTrackOptions;
import com.mentra.livekit.rtc.Room;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client-to-room audio for one session: PCM from StreamAudio, at whatever rate and channel count
 * each chunk declares, goes through a bounded jitter buffer and is pushed into a published track in
 * real time by the shared {@link AudioClock}. The track is published on the first audio; from then
 * on it gets a frame on every tick, silence when the buffer has none, so its timestamps follow the
 * wall clock through the client's pauses, and each talk spurt starts cleanly (see {@link
 * TrackCadence}). Rates whose 10 ms is not a whole number of samples (22.05, 11.025 kHz) are
 * resampled to 48 kHz. A backlog above the prebuffer plus {@value #CATCH_UP_SLACK_MS} ms drains
 * through the stream's quiet frames (see {@code skipQuietBacklog}). After {@value
 * #IDLE_UNPUBLISH_MS} ms without a chunk and with nothing left to send, the track is unpublished,
 * as idle playback tracks are, so an idle session holds no encoder thread; the next chunk publishes
 * a fresh one. Thread-safe: one writer (the stream's inbound thread) and the clock thread.
 */
final class UplinkPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UplinkPublisher.class);

  /** How long the fresh track holds the first audio for a listener to attach, at most. */
  static final int FRESH_TRACK_MAX_HOLD_MS = 500;

  /**
   * Backlog above the prebuffer that a continuous stream may keep before quiet frames are dropped
   * (absorbs chunking jitter).
   */
  static final int CATCH_UP_SLACK_MS = 80;

  /** How long a track without chunks stays published once its buffer ran dry. */
  static final int IDLE_UNPUBLISH_MS = 5_000;

  /** RMS, in 16-bit steps, at or below which a frame counts as quiet: about -55 dBFS. */
  private static final int QUIET_RMS = 58;

  private final Room room;
  private final String trackName;
  private final Executor blocking;
  private final int bufferMs;
  private final int prebufferMs;
  private final int catchUpAboveMs;
  private long skippedQuietMs;
  private final AudioClock.Registration tick;
  private PacedPcmBuffer buffer;
  private int inRate;
  private int inChannels;
  private Resampler resampler;
  private volatile LocalAudioTrack track;
  private TrackCadence cadence;
  private boolean publishing;
  private boolean closed;
  private long droppedBefore;

  /** When each written chunk arrived, by its first sample's position in the buffer's stream. */
  private final java.util.ArrayDeque<long[]> arrivals = new java.util.ArrayDeque<>();

  private long lastWriteNanos; // when the last chunk arrived
  private long written; // samples offered to the current buffer
  private long consumed; // samples polled from it
  private final java.util.function.LongConsumer latency;

  UplinkPublisher(
      Room room,
      String trackName,
      AudioClock clock,
      Executor blocking,
      int bufferMs,
      int prebufferMs) {
    this(room, trackName, clock, blocking, bufferMs, prebufferMs, nanos -> {});
  }

  /**
   * @param latency told, for each chunk, the time from its arrival to its first sample's push into
   *     the track
   */
  UplinkPublisher(
      Room room,
      String trackName,
      AudioClock clock,
      Executor blocking,
      int bufferMs,
      int prebufferMs,
      java.util.function.LongConsumer latency) {
    this.latency = latency;
    this.room = room;
    this.trackName = trackName;
    this.blocking = blocking;
    this.bufferMs = bufferMs;
    this.prebufferMs = prebufferMs;
    this.catchUpAboveMs = prebufferMs + CATCH_UP_SLACK_MS;
    this.tick = clock.register(this::onTick);
  }

  /**
   * Buffers interleaved PCM; never blocks. One writer (the stream's inbound thread): the rate check
   * below cannot race another write.
   */
  void write(short[] samples, int sampleRate, int channels) {
    long arrivedNanos = System.nanoTime();
    boolean formatChanged;
    synchronized (this) {
      if (closed || samples.length == 0) return;
      formatChanged = sampleRate != inRate || channels != inChannels;
    }
    // A new rate's resampler is built outside the lock the clock thread takes on every tick.
    Resampler fresh =
        formatChanged && sampleRate % 100 != 0 ? new Resampler(sampleRate, 48_000, channels) : null;
    synchronized (this) {
      if (closed) return;
      if (formatChanged) {
        inRate = sampleRate;
        inChannels = channels;
        resampler = fresh;
        if (buffer != null) droppedBefore += buffer.droppedSamples();
        buffer =
            new PacedPcmBuffer(
                fresh == null ? sampleRate : 48_000, channels, bufferMs, prebufferMs);
        arrivals.clear();
        written = 0;
        consumed = 0;
      }
      short[] pcm =
          resampler == null ? samples : resampler.process(samples, 0, samples.length / channels);
      if (pcm.length == 0) return;
      if (arrivals.size() >= 512) arrivals.poll(); // bounded: a client far ahead of real time
      arrivals.add(new long[] {written, arrivedNanos});
      written += pcm.length;
      lastWriteNanos = arrivedNanos;
      buffer.offer(pcm);
      if (track == null && !publishing) publish();
    }
  }

  /** Samples dropped because the client sent faster than real time for longer than the buffer. */
  synchronized long droppedSamples() {
    return droppedBefore + (buffer == null ? 0 : buffer.droppedSamples());
  }

  private void publish() {
    publishing = true;
    blocking.execute(
        () -> {
          LocalAudioTrack published = null;
          try {
            published = room.publishAudio(LocalAudioTrackOptions.microphone(trackName));
          } catch (Exception e) {
            log.warn("publishing the uplink track {} failed: {}", trackName, e.getMessage());
          }
          synchronized (this) {
            publishing = false;
            if (closed && published != null) {
              published.unpublish();
            } else if (published != null) {
              cadence = new TrackCadence(published::listening, FRESH_TRACK_MAX_HOLD_MS);
              track = published;
            }
          }
        });
  }

  private long lastTick = -1; // clock thread only

  private void onTick(long tickNumber) {
    long missed = lastTick < 0 ? 0 : Math.max(0, tickNumber - lastTick - 1);
    lastTick = tickNumber;
    LocalAudioTrack current = track;
    if (current == null) return;
    if (missed > 0) dropMissed(missed);
    short[] frame;
    int rate;
    int channels;
    synchronized (this) {
      if (buffer == null || closed) return;
      if (idleLongEnough()) {
        track = null;
        cadence = null;
        frame = null;
        rate = channels = 0;
      } else {
        rate = buffer.sampleRate();
        channels = buffer.channels();
        frame = nextFrame(rate, channels);
      }
    }
    if (frame == null) {
      log.debug("unpublishing the idle uplink track {}", trackName);
      unpublishOffTheClock(current); // the next chunk publishes a fresh track
      return;
    }
    current.pushFrame(frame, rate, channels);
  }

  /**
   * Not on the clock thread: unpublishing first stops the track's sender, which waits for the lock
   * the room holds while it attaches or detaches that track (a rejoin), and this thread paces every
   * session's audio.
   */
  private void unpublishOffTheClock(LocalAudioTrack idle) {
    try {
      blocking.execute(idle::unpublish);
    } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
      idle.unpublish();
    }
  }

  /** This tick's frame: buffered audio, or silence while the cadence holds or the buffer is dry. */
  private short[] nextFrame(int rate, int channels) {
    boolean ready = buffer.ready();
    if (cadence.admit(ready, buffer.hasAudio())) {
      short[] frame = buffer.poll10ms();
      if (frame != null) {
        consumed += frame.length;
        frame = skipQuietBacklog(frame);
        observeArrivals(consumed + buffer.droppedSamples());
        return frame;
      }
    } else if (!ready) {
      // Not ready: let the buffer note the underrun (it prebuffers again). Ready but held: the
      // audio waits.
      buffer.poll10ms();
    }
    return cadence.fill(rate / 100 * channels);
  }

  /** Nothing to send and no chunk for {@value #IDLE_UNPUBLISH_MS} ms. */
  private boolean idleLongEnough() {
    return !buffer.hasAudio()
        && System.nanoTime() - lastWriteNanos > IDLE_UNPUBLISH_MS * 1_000_000L;
  }

  /**
   * Catch-up: while more than {@code catchUpAboveMs} is buffered, quiet frames are dropped instead
   * of sent. A client that streams continuously (silence between utterances, as a live microphone
   * or a TTS stream does) otherwise keeps for good whatever backlog it built up, because at
   * real-time pace the buffer never drains: the audio queued while the track was published and held
   * for its first listener (0.2-0.7 s), or what the client sent ahead of real time. Only quiet
   * frames go, so no speech is lost; pauses get shorter until the backlog is back at target.
   * Returns the frame to send: {@code frame} or the first non-quiet (or last) one after it.
   */
  private short[] skipQuietBacklog(short[] frame) {
    while (buffer.bufferedMs() > catchUpAboveMs && isQuiet(frame)) {
      short[] next = buffer.poll10ms();
      if (next == null) break;
      consumed += next.length;
      skippedQuietMs += 10;
      frame = next;
    }
    return frame;
  }

  /** Below about -55 dBFS RMS: digital silence, a quiet room's noise floor; never speech. */
  static boolean isQuiet(short[] frame) {
    long energy = 0;
    for (short s : frame) energy += (long) s * s;
    return energy <= (long) QUIET_RMS * QUIET_RMS * frame.length;
  }

  /** Milliseconds of quiet audio dropped to catch up with real time. */
  synchronized long skippedQuietMs() {
    return skippedQuietMs;
  }

  /**
   * The clock skipped {@code ticks} (its thread was stalled beyond its catch-up bound): the audio
   * due in that time is dropped, so the track stays real time instead of lagging by the stall for
   * as long as the client keeps talking.
   */
  private synchronized void dropMissed(long ticks) {
    if (buffer == null || closed) return;
    for (long i = 0; i < ticks; i++) {
      short[] frame = buffer.poll10ms();
      if (frame == null) break;
      consumed += frame.length;
    }
    observeArrivals(consumed + buffer.droppedSamples());
  }

  /** Chunks whose first sample was pushed by now (or dropped): their time in the bridge. */
  private void observeArrivals(long position) {
    long now = System.nanoTime();
    while (!arrivals.isEmpty() && arrivals.peek()[0] < position)
      latency.accept(now - arrivals.poll()[1]);
  }

  @Override
  public void close() {
    LocalAudioTrack current;
    synchronized (this) {
      if (closed) return;
      closed = true;
      current = track;
      track = null;
    }
    tick.close();
    if (current != null) current.unpublish();
  }
}
