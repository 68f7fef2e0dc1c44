package com.mentra.livekit.rtc;

/**
 * 10 ms of 16-bit PCM, interleaved when stereo.
 *
 * @param samples {@code sampleRate / 100 * channels} samples, owned by the receiver
 */
public record AudioFrame(short[] samples, int sampleRate, int channels) {
  public int samplesPerChannel() {
    return samples.length / channels;
  }
}
