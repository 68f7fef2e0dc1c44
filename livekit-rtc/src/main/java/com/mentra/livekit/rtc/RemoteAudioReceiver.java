package com.mentra.livekit.rtc;

import com.mentra.bridge.core.SerializingExecutor;
import com.mentra.bridge.dsp.Pcm16;
import com.mentra.bridge.dsp.Resampler;
import dev.onvoid.webrtc.media.audio.AudioTrack;
import dev.onvoid.webrtc.media.audio.AudioTrackSink;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one participant's decoded audio at the caller's rate and channel count.
 *
 * <p>libwebrtc calls the sink on its playout thread every 10 ms; the sink only copies the frame
 * into a bounded queue (dropping the oldest when the listener falls behind). Conversion and
 * delivery run on a serial executor. Thread-safe.
 */
final class RemoteAudioReceiver implements AudioSubscription {
  private static final Logger log = LoggerFactory.getLogger(RemoteAudioReceiver.class);

  private final String identity;
  private final int outRate;
  private final int outChannels;
  private final int capacity;
  private final AudioFrameListener listener;
  private final SerializingExecutor delivery;
  private final Consumer<RemoteAudioReceiver> onClose;
  private final ArrayDeque<Chunk> queue = new ArrayDeque<>();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong delivered = new AtomicLong();
  private final Sink sink = new Sink();
  private volatile boolean closed;
  private AudioTrack attached;
  private boolean drainScheduled;

  // Touched only on the delivery executor.
  private Resampler resampler;
  private int resamplerInRate;
  private short[] pending = new short[0];
  private int pendingLength;
  private long listenerFailures;

  RemoteAudioReceiver(
      String identity,
      int outRate,
      int outChannels,
      int capacity,
      AudioFrameListener listener,
      Executor workers,
      Consumer<RemoteAudioReceiver> onClose) {
    if (outChannels != 1 && outChannels != 2)
      throw new IllegalArgumentException("channels must be 1 or 2");
    if (outRate < 8000 || outRate > 48000 || outRate % 100 != 0) {
      throw new IllegalArgumentException(
          "sample rate must be a multiple of 100 between 8000 and 48000, got " + outRate);
    }
    this.identity = identity;
    this.outRate = outRate;
    this.outChannels = outChannels;
    this.capacity = capacity;
    this.listener = listener;
    this.delivery = new SerializingExecutor(workers, 4, "audio-" + identity);
    this.onClose = onClose;
  }

  @Override
  public String participantIdentity() {
    return identity;
  }

  @Override
  public long droppedFrames() {
    return dropped.get();
  }

  @Override
  public long deliveredFrames() {
    return delivered.get();
  }

  /**
   * Starts listening to {@code track} (replacing a previous one). Called on the room's executor.
   */
  synchronized void attach(AudioTrack track) {
    // webrtc-java may hand out a new wrapper for the same native track: compare ids too, or the
    // same track would get a second sink (every frame twice).
    if (closed || track == attached || attached != null && attached.getId().equals(track.getId()))
      return;
    detach();
    attached = track;
    track.addSink(sink);
  }

  /** Stops listening to the current track, if any. Called on the room's executor. */
  synchronized void detach() {
    if (attached != null) {
      try {
        attached.removeSink(sink);
      } catch (RuntimeException ignored) {
        // The track may already be gone with its peer connection.
      }
      attached = null;
    }
  }

  synchronized boolean isAttachedTo(AudioTrack track) {
    return attached == track;
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    detach();
    synchronized (queue) {
      queue.clear();
    }
    onClose.accept(this);
  }

  private void enqueue(short[] frame, int rate) {
    synchronized (queue) {
      if (queue.size() >= capacity) {
        queue.poll();
        dropped.incrementAndGet();
      }
      queue.add(new Chunk(frame, rate));
    }
    scheduleDrain();
  }

  private void drain() {
    boolean finished = false;
    try {
      while (!closed) {
        Chunk chunk;
        synchronized (queue) {
          chunk = queue.poll();
          if (chunk == null) {
            drainScheduled = false;
            finished = true;
            return;
          }
        }
        convert(chunk.samples(), chunk.rate());
      }
      finished = true;
    } finally {
      // Something threw (an Error, or a bug in the conversion): without this the flag would stay
      // set and no later frame would ever be delivered. Reschedule so the queue keeps draining.
      if (!finished) {
        synchronized (queue) {
          drainScheduled = false;
        }
        if (!closed) scheduleDrain();
      }
    }
  }

  /** Schedules one drain when frames wait and none is scheduled. */
  private void scheduleDrain() {
    boolean schedule;
    synchronized (queue) {
      schedule = !queue.isEmpty() && !drainScheduled;
      if (schedule) drainScheduled = true;
    }
    if (!schedule) return;
    try {
      delivery.execute(this::drain);
    } catch (RejectedExecutionException e) {
      synchronized (queue) {
        drainScheduled = false;
      }
    }
  }

  /** {@code samples} are already in outChannels; only the rate may differ. */
  private void convert(short[] samples, int inRate) {
    short[] out;
    if (inRate == outRate) {
      out = samples;
    } else {
      if (resampler == null || resamplerInRate != inRate) {
        resampler = new Resampler(inRate, outRate, outChannels);
        resamplerInRate = inRate;
      }
      out = resampler.process(samples, 0, samples.length / outChannels);
    }
    append(out);
    int frameSamples = outRate / 100 * outChannels;
    int offset = 0;
    try {
      while (pendingLength - offset >= frameSamples) {
        short[] frame = new short[frameSamples];
        System.arraycopy(pending, offset, frame, 0, frameSamples);
        offset += frameSamples;
        delivered.incrementAndGet();
        deliver(new AudioFrame(frame, outRate, outChannels));
      }
    } finally {
      // Even when an Error escapes delivery: a frame handed out is never handed out again.
      System.arraycopy(pending, offset, pending, 0, pendingLength - offset);
      pendingLength -= offset;
    }
  }

  /** The listener's exception costs its frame, never the subscription. */
  private void deliver(AudioFrame frame) {
    try {
      listener.onFrame(frame);
    } catch (RuntimeException e) {
      if (listenerFailures++ % 1_000 == 0)
        log.warn(
            "audio listener for {} threw (failure {}): {}",
            identity,
            listenerFailures,
            e.toString());
    }
  }

  private void append(short[] samples) {
    if (pendingLength + samples.length > pending.length) {
      short[] grown = new short[Math.max(pending.length * 2, pendingLength + samples.length)];
      System.arraycopy(pending, 0, grown, 0, pendingLength);
      pending = grown;
    }
    System.arraycopy(samples, 0, pending, pendingLength, samples.length);
    pendingLength += samples.length;
  }

  /** The sink libwebrtc calls; tests feed it frames directly. */
  AudioTrackSink sink() {
    return sink;
  }

  /** One 10 ms frame as libwebrtc delivered it, already in the output channel layout. */
  private record Chunk(short[] samples, int rate) {}

  /** Runs on libwebrtc's playout thread: copy, convert channels, enqueue; never block. */
  private final class Sink implements AudioTrackSink {
    @Override
    public void onData(byte[] data, int bitsPerSample, int sampleRate, int channels, int frames) {
      if (closed || bitsPerSample != 16 || channels < 1) return;
      short[] frame = new short[frames * outChannels];
      for (int f = 0; f < frames; f++) {
        if (outChannels == 1) {
          int sum = 0;
          for (int c = 0; c < channels; c++) sum += sampleAt(data, f * channels + c);
          frame[f] = (short) (sum / channels);
        } else {
          short left = sampleAt(data, f * channels);
          short right = channels > 1 ? sampleAt(data, f * channels + 1) : left;
          frame[2 * f] = left;
          frame[2 * f + 1] = right;
        }
      }
      enqueue(frame, sampleRate);
    }

    private short sampleAt(byte[] data, int index) {
      return Pcm16.read(data, Pcm16.BYTES * index);
    }
  }
}
