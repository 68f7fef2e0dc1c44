package com.mentra.bridge.dsp.bench;

import com.mentra.bridge.dsp.Resampler;
import com.mentra.bridge.dsp.ToneAnalysis;

/**
 * Prints the resampling quality figures of the project's resampler next to a linear-interpolation
 * reference (what the Go bridge used), plus the cost per 10 ms frame. Run with
 * scripts/bench-audio.sh.
 */
public final class ResamplerBenchmark {
  private static final double AMPLITUDE = 0.5;

  private ResamplerBenchmark() {}

  /** The reference: linear interpolation, no low-pass filter. */
  static short[] linear(short[] in, int from, int to) {
    int n = (int) ((long) in.length * to / from);
    short[] out = new short[n];
    for (int i = 0; i < n; i++) {
      double pos = (double) i * from / to;
      int j = (int) pos;
      double frac = pos - j;
      double a = in[Math.min(j, in.length - 1)];
      double b = in[Math.min(j + 1, in.length - 1)];
      out[i] = (short) Math.round(a + (b - a) * frac);
    }
    return out;
  }

  static short[] project(short[] in, int from, int to) {
    Resampler r = new Resampler(from, to, 1);
    short[] a = r.process(in, 0, in.length);
    short[] b = r.flush();
    short[] out = new short[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static short[] tone(double f, int rate, int frames) {
    return ToneAnalysis.tone(f, rate, AMPLITUDE, frames);
  }

  static double thdn(short[] x, int rate, double f) {
    return ToneAnalysis.thdPlusNoiseDb(x, rate, f);
  }

  static double level(short[] x) {
    return ToneAnalysis.levelDb(x, AMPLITUDE);
  }

  public static void main(String[] args) {
    System.out.println(
        "Resampling quality: project (polyphase windowed sinc) vs linear interpolation");
    System.out.println("target                                         project     linear");
    for (double f : new double[] {1000, 6000, 10000}) {
      short[] in = tone(f, 44100, 88200);
      System.out.printf(
          "44.1->48 kHz THD+N at %5.0f Hz (<= -80 dB)      %7.1f dB %7.1f dB%n",
          f, thdn(project(in, 44100, 48000), 48000, f), thdn(linear(in, 44100, 48000), 48000, f));
    }
    short[] ten = tone(10000, 48000, 96000);
    short[] seven = tone(7000, 48000, 96000);
    System.out.printf(
        "48->16 kHz 10 kHz tone level (<= -60 dB)        %7.1f dB %7.1f dB%n",
        level(project(ten, 48000, 16000)), level(linear(ten, 48000, 16000)));
    System.out.printf(
        "48->16 kHz  7 kHz tone level (within 1 dB)      %7.2f dB %7.2f dB%n",
        level(project(seven, 48000, 16000)), level(linear(seven, 48000, 16000)));
    short[] up = tone(7000, 16000, 32000);
    System.out.printf(
        "16->48 kHz 7 kHz images+distortion (<= -65 dB)  %7.1f dB %7.1f dB%n",
        thdn(project(up, 16000, 48000), 48000, 7000), thdn(linear(up, 16000, 48000), 48000, 7000));
    for (int from : new int[] {22050, 11025}) {
      short[] in = tone(1000, from, from * 2);
      short[] out = project(in, from, 48000);
      System.out.printf(
          "%5.3f->48 kHz 1 kHz THD+N / level              %7.1f dB %7.2f dB level%n",
          from / 1000.0, thdn(out, 48000, 1000), level(out));
    }

    System.out.println();
    System.out.println("Cost per 10 ms frame (mono, streaming, after warm-up)");
    int[][] pairs = {{48000, 16000}, {16000, 48000}, {44100, 48000}, {22050, 48000}};
    for (int[] p : pairs) {
      int frame = p[0] / 100;
      short[] in = tone(440, p[0], frame);
      Resampler r = new Resampler(p[0], p[1], 1);
      for (int i = 0; i < 20_000; i++) r.process(in, 0, frame);
      int n = 50_000;
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) r.process(in, 0, frame);
      double ns = (System.nanoTime() - start) / (double) n;
      System.out.printf(
          "%5d -> %5d Hz: %8.0f ns per frame (%.2f%% of one core per stream)%n",
          p[0], p[1], ns, ns / 10_000_000 * 100);
    }
    System.out.println();
    System.out.println(
        "Kernel for rates with thousands of phases (bounded at 1 MiB; built once per ratio, then cached)");
    // Warm the build code on ratios not measured below, so the figures are steady-state builds.
    for (int warm = 30_001; warm < 30_041; warm += 2) new Resampler(warm, 47_000 + warm % 7, 1);
    int[][] odd = {
      {8001, 48000}, {44101, 48000}, {383999, 48000}, {48000, 8001}, {22050, 48000}, {44100, 48000}
    };
    for (int[] p : odd) {
      long start = System.nanoTime();
      Resampler r = new Resampler(p[0], p[1], 1);
      double ms = (System.nanoTime() - start) / 1e6;
      long again = System.nanoTime();
      new Resampler(p[0], p[1], 1);
      double cachedMs = (System.nanoTime() - again) / 1e6;
      System.out.printf(
          "%6d -> %5d Hz: kernel %4.0f KiB built in %5.2f ms (next stream %.3f ms)%n",
          p[0], p[1], r.kernelFloats() * 4 / 1024.0, ms, cachedMs);
    }
  }
}
