package com.mentra.bridge.audio.playback;

import com.mentra.bridge.audio.decode.AudioDecoders;
import com.mentra.bridge.audio.decode.DecodeException;
import com.mentra.bridge.audio.decode.DecodedAudioStream;
import com.mentra.bridge.audio.decode.UnsupportedFormatException;
import com.mentra.bridge.audio.fetch.AudioFetcher;
import com.mentra.bridge.audio.fetch.FetchException;
import com.mentra.bridge.audio.fetch.FetchedAudio;
import com.mentra.bridge.dsp.Resampler;
import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One PlayAudio request: a decode task that fetches, decodes, downmixes, resamples and applies
 * volume into a bounded queue of 10 ms frames, and the clock-side state that plays them out.
 * Decoding runs ahead by at most the queue's bound, so memory does not grow with the file.
 */
final class Playback {
  final PlayRequest request;
  final PlaybackListener listener;
  private final PlaybackConfig config;
  private final int frameSamples;
  final ArrayBlockingQueue<short[]> frames;
  volatile boolean decodeDone;
  volatile PlaybackError error;
  volatile boolean cancelled;

  /**
   * The fetch in flight, so a stop or replacement can abort it at once (also before its headers).
   */
  private volatile AudioFetcher.FetchCall fetch;

  /** Valid samples in the last frame (the rest is padding), once decoding is done. */
  volatile int lastFrameSamples;

  /**
   * What the source declares, in ms (0 = unknown); set by the decode thread before it queues the
   * first frame, so the clock thread sees it by the time it plays one. In source time, so the
   * resampling to the output rate does not change it.
   */
  volatile long declaredDurationMs;

  // Clock-thread state.
  StopReason stopReason;
  boolean started;
  boolean finished;
  long framesOut;
  long nextProgressMs;

  Playback(PlayRequest request, PlaybackListener listener, PlaybackConfig config) {
    this.request = request;
    this.listener = listener;
    this.config = config;
    this.frameSamples = config.outputRate() / 100;
    this.frames = new ArrayBlockingQueue<>(Math.max(2, config.decodeAheadMs() / 10));
    this.nextProgressMs = config.progressInterval().toMillis();
  }

  /** Milliseconds played so far, counting only real samples of the last frame. */
  long positionMs() {
    long samples = framesOut * frameSamples;
    if (decodeDone && frames.isEmpty() && framesOut > 0 && lastFrameSamples > 0)
      samples -= frameSamples - lastFrameSamples;
    return samples * 1000 / config.outputRate();
  }

  /** Stops decoding and aborts the fetch (connection included); idempotent, any thread. */
  void cancel() {
    cancelled = true;
    AudioFetcher.FetchCall f = fetch;
    if (f != null) f.cancel();
  }

  /**
   * Runs on a decode thread; blocks for a fetch slot (bounded concurrent fetches per player), on
   * the fetch and on a full queue. A playback cancelled while it waits never fetches.
   */
  void decode(
      PlaybackEngine engine, Runnable beforeFirstFrame, java.util.concurrent.Semaphore fetchSlots) {
    try {
      while (!cancelled) {
        if (fetchSlots.tryAcquire(50, java.util.concurrent.TimeUnit.MILLISECONDS)) {
          try {
            decode(engine, beforeFirstFrame);
          } finally {
            fetchSlots.release();
          }
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      decodeDone = true;
    }
  }

  private void decode(PlaybackEngine engine, Runnable beforeFirstFrame) {
    AudioFetcher.FetchCall call = engine.fetcher().newCall(request.uri());
    fetch = call;
    if (cancelled) call.cancel();
    try (FetchedAudio fetched = call.execute();
        DecodedAudioStream stream =
            AudioDecoders.open(
                fetched.body(), fetched.contentType(), fetched.path(), fetched.contentLength())) {
      declaredDurationMs = Math.max(0, stream.declaredDurationMs());
      // A header declaring more than the limit fails before STARTED, not after playing the limit.
      if (declaredDurationMs > config.maxDuration().toMillis()) {
        throw new TooLongException(
            "the audio declares "
                + declaredDurationMs / 1000
                + " s, more than the "
                + config.maxDuration().toSeconds()
                + " s limit");
      }
      int channels = stream.channels();
      Resampler resampler =
          stream.sampleRate() == config.outputRate()
              ? null
              : new Resampler(stream.sampleRate(), config.outputRate(), 1);
      short[] buffer = new short[4096 * channels];
      short[] frame = new short[frameSamples];
      int fill = 0;
      long maxFrames = config.maxDuration().toMillis() / 10;
      long queued = 0;
      boolean announced = false;
      double gain = request.gain();
      while (!cancelled) {
        int n = stream.read(buffer);
        short[] mono;
        if (n < 0) {
          if (resampler == null) break;
          mono = resampler.flush();
          resampler = null;
        } else {
          mono = downmix(buffer, n, channels);
          if (resampler != null) mono = resampler.process(mono, 0, mono.length);
        }
        for (int i = 0; i < mono.length; i++) {
          frame[fill++] = limit(mono[i] * gain);
          if (fill == frameSamples) {
            if (!announced) {
              beforeFirstFrame.run();
              announced = true;
            }
            if (++queued > maxFrames) {
              throw new TooLongException(
                  "audio is longer than the " + config.maxDuration().toSeconds() + " s limit");
            }
            if (!put(frame)) return;
            frame = new short[frameSamples];
            fill = 0;
          }
        }
        if (n < 0 && resampler == null) break;
      }
      if (fill > 0 && !cancelled) {
        if (!announced) beforeFirstFrame.run();
        lastFrameSamples = fill;
        put(frame);
      }
    } catch (FetchException e) {
      error =
          new PlaybackError(
              PlaybackError.Kind.valueOf(e.kind().name()), e.getMessage(), e.httpStatus());
    } catch (UnsupportedFormatException e) {
      error =
          new PlaybackError(
              PlaybackError.Kind.UNSUPPORTED_FORMAT, "unsupported format: " + e.getMessage(), 0);
    } catch (DecodeException e) {
      error =
          new PlaybackError(PlaybackError.Kind.DECODE_ERROR, "decode error: " + e.getMessage(), 0);
    } catch (TooLongException e) {
      error = new PlaybackError(PlaybackError.Kind.TOO_LONG, e.getMessage(), 0);
    } catch (OutputException e) {
      error = new PlaybackError(PlaybackError.Kind.OUTPUT, e.getMessage(), 0);
    } catch (IOException e) {
      error =
          new PlaybackError(PlaybackError.Kind.IO, "reading audio failed: " + e.getMessage(), 0);
    } catch (RuntimeException | StackOverflowError | AssertionError e) {
      // A decoder bug on hostile input must fail this playback only.
      error = new PlaybackError(PlaybackError.Kind.DECODE_ERROR, "decode error: " + e, 0);
    } finally {
      decodeDone = true;
    }
  }

  private boolean put(short[] frame) {
    try {
      while (!cancelled) {
        if (frames.offer(frame, 50, TimeUnit.MILLISECONDS)) return true;
      }
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static short[] downmix(short[] interleaved, int frames, int channels) {
    short[] mono = new short[frames];
    if (channels == 1) {
      System.arraycopy(interleaved, 0, mono, 0, frames);
      return mono;
    }
    for (int f = 0; f < frames; f++) {
      int sum = 0;
      for (int c = 0; c < channels; c++) sum += interleaved[f * channels + c];
      mono[f] = (short) (sum / channels);
    }
    return mono;
  }

  /** Soft knee above 90% of full scale instead of hard clipping when volume is raised. */
  static short limit(double v) {
    double knee = 0.9 * 32767;
    double a = Math.abs(v);
    if (a <= knee) return (short) Math.round(v);
    double headroom = 32767 - knee;
    double shaped = knee + headroom * Math.tanh((a - knee) / headroom);
    return (short) Math.round(Math.copySign(shaped, v));
  }

  static final class TooLongException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooLongException(String message) {
      super(message);
    }
  }

  /** The track's output could not be opened. */
  static final class OutputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OutputException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
