package com.mentra.bridge.dsp;

/**
 * The jitter buffer between a bursty writer and the 10 ms clock: mono or interleaved 16-bit PCM at
 * one rate goes in in chunks of any size and comes out in 10 ms frames.
 *
 * <p>Bounded: when a write would exceed the capacity the oldest samples are dropped (and counted)
 * so latency stays bounded. Output starts once {@code prebufferMs} is buffered, and again after an
 * underrun, so a writer that delivers in bursts produces continuous audio. Thread-safe (one writer
 * and the clock thread reading is the intended use); never blocks.
 */
public final class PacedPcmBuffer {
  private final int sampleRate;
  private final int channels;
  private final int frameSamples;
  private final int capacity;
  private final int prebuffer;
  private final short[] ring;
  private int head;
  private int size;
  private boolean playing;
  private long droppedSamples;
  private long underruns;

  public PacedPcmBuffer(int sampleRate, int channels, int capacityMs, int prebufferMs) {
    if (sampleRate <= 0 || sampleRate % 100 != 0) {
      // 10 ms must be a whole number of samples; resample 22.05/11.025 kHz first.
      throw new IllegalArgumentException(
          "sample rate must be a positive multiple of 100, got " + sampleRate);
    }
    if (channels < 1 || channels > 2) throw new IllegalArgumentException("channels must be 1 or 2");
    if (prebufferMs < 0 || capacityMs < Math.max(20, prebufferMs + 10)) {
      throw new IllegalArgumentException(
          "capacity " + capacityMs + " ms must exceed prebuffer " + prebufferMs + " ms by 10 ms");
    }
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.frameSamples = sampleRate / 100 * channels;
    this.capacity = (int) ((long) sampleRate * capacityMs / 1000) * channels;
    this.prebuffer = (int) ((long) sampleRate * prebufferMs / 1000) * channels;
    this.ring = new short[capacity];
  }

  public int sampleRate() {
    return sampleRate;
  }

  public int channels() {
    return channels;
  }

  /** Appends samples (whole frames of {@code channels}); drops the oldest when full. */
  public synchronized void offer(short[] samples, int offset, int length) {
    if (length % channels != 0)
      throw new IllegalArgumentException("length " + length + " is not a whole number of frames");
    if (length > capacity) {
      droppedSamples += length - capacity;
      offset += length - capacity;
      length = capacity;
    }
    int overflow = size + length - capacity;
    if (overflow > 0) {
      head = (head + overflow) % capacity;
      size -= overflow;
      droppedSamples += overflow;
    }
    int tail = (head + size) % capacity;
    int first = Math.min(length, capacity - tail);
    System.arraycopy(samples, offset, ring, tail, first);
    System.arraycopy(samples, offset + first, ring, 0, length - first);
    size += length;
  }

  public void offer(short[] samples) {
    offer(samples, 0, samples.length);
  }

  /**
   * Whether {@link #poll10ms()} would return a frame now (prebuffered, or playing with 10 ms left);
   * changes nothing.
   */
  public synchronized boolean ready() {
    return size >= (playing ? frameSamples : Math.max(prebuffer, frameSamples));
  }

  /** Whether any audio is buffered (possibly less than {@link #ready()} needs). */
  public synchronized boolean hasAudio() {
    return size > 0;
  }

  /** The next 10 ms frame, or null while prebuffering or on underrun. */
  public synchronized short[] poll10ms() {
    if (!playing) {
      if (size < Math.max(prebuffer, frameSamples)) return null;
      playing = true;
    }
    if (size < frameSamples) {
      playing = false;
      underruns++;
      return null;
    }
    short[] frame = new short[frameSamples];
    int first = Math.min(frameSamples, capacity - head);
    System.arraycopy(ring, head, frame, 0, first);
    System.arraycopy(ring, 0, frame, first, frameSamples - first);
    head = (head + frameSamples) % capacity;
    size -= frameSamples;
    return frame;
  }

  /** Buffered audio in milliseconds. */
  public synchronized int bufferedMs() {
    return (int) ((long) size / channels * 1000 / sampleRate);
  }

  public synchronized long droppedSamples() {
    return droppedSamples;
  }

  public synchronized long underruns() {
    return underruns;
  }

  public synchronized void clear() {
    head = 0;
    size = 0;
    playing = false;
  }
}
