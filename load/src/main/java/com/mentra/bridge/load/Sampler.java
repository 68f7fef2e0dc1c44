package com.mentra.bridge.load;

import static com.mentra.bridge.load.Console.ms;
import static com.mentra.bridge.load.Console.say;
import static com.mentra.bridge.load.Figures.cores;
import static com.mentra.bridge.load.Figures.finiteOr0;
import static com.mentra.bridge.load.Figures.latencies;
import static com.mentra.bridge.load.Figures.round;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the processes cost, read from /proc: the bridge's figures at each phase, and over the load
 * one {@link Sample} every --sample interval (CPU of the bridge, livekit-server, the phones, this
 * tool and the whole machine; the bridge's RSS, threads and FDs; packet rates and latencies), each
 * printed as a line and written to load.jsonl. Not thread-safe: the run's main thread drives it.
 */
final class Sampler {
  /** An interval is quiet when the machine's work outside this run stayed below this many cores. */
  static final double QUIET_OTHER_CORES = 0.3;

  private final LoadOptions o;
  private final JsonLines jsonl;
  private final Latencies latencies;
  private final List<Sample> samples = new ArrayList<>();
  private final List<BridgeMemory.Breakdown> memory = new ArrayList<>();

  /**
   * With --soak, how often the bridge's memory is read ({@link BridgeMemory}): about ten times a
   * run, at most five minutes and at least one sample apart. Each reading costs a jcmd process.
   */
  private final double memoryEverySeconds;

  private boolean memoryFailed;

  Sampler(LoadOptions o, JsonLines jsonl, Latencies latencies) {
    this.o = o;
    this.jsonl = jsonl;
    this.latencies = latencies;
    this.memoryEverySeconds =
        Math.max(o.sample.toMillis() / 1000.0, Math.min(300, o.duration.toMillis() / 10_000.0));
  }

  /** The load's samples so far, oldest first. */
  List<Sample> samples() {
    return Collections.unmodifiableList(samples);
  }

  /** With --soak, the bridge's memory readings so far, oldest first (empty otherwise). */
  List<BridgeMemory.Breakdown> memory() {
    return Collections.unmodifiableList(memory);
  }

  /**
   * Waits until the machine is busy with less than --quiet-below cores over 5 s, at most 15
   * minutes.
   */
  static void waitForQuiet(double quietBelow) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
    double busy;
    do {
      long a = Proc.machineBusyTicks();
      Thread.sleep(5_000);
      busy = (Proc.machineBusyTicks() - a) / (double) Proc.TICKS_PER_SECOND / 5;
      if (busy < quietBelow) {
        say("machine busy with %.2f cores: starting", busy);
        return;
      }
      say("machine busy with %.2f cores (want < %.2f): waiting", busy, quietBelow);
    } while (System.nanoTime() < deadline);
    say("the machine stayed busy for 15 minutes; starting anyway");
  }

  /**
   * Bridge figures over {@code millis} with nothing changing: CPU averaged, the rest at the end.
   */
  Map<String, Object> measure(String phase, Long pid, long millis) throws InterruptedException {
    if (pid == null) {
      Thread.sleep(millis);
      return snapshot(phase, null);
    }
    Proc a = Proc.read(pid);
    long machineA = Proc.machineBusyTicks();
    Thread.sleep(millis);
    Proc b = Proc.read(pid);
    double machine =
        (Proc.machineBusyTicks() - machineA)
            / (double) Proc.TICKS_PER_SECOND
            / ((b.atNanos() - a.atNanos()) / 1e9);
    Map<String, Object> m = Figures.process(b);
    m.put("cores", round(b.coresSince(a), 4));
    m.put("machine_cores", round(machine, 3));
    m.put("phase", phase);
    jsonl.write("phase", m);
    say(
        "%s: bridge %.3f cores, RSS %.1f MB, %d threads, %d FDs (machine %.2f cores busy)",
        phase, b.coresSince(a), b.rssMb(), b.threads(), b.fds(), machine);
    return m;
  }

  /** Bridge figures at this moment (none without a pid). */
  Map<String, Object> snapshot(String phase, Long pid) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (pid != null) {
      Proc p = Proc.read(pid);
      if (p != null) {
        m = Figures.process(p);
        say("%s: bridge RSS %.1f MB, %d threads, %d FDs", phase, p.rssMb(), p.threads(), p.fds());
      }
    }
    m.put("phase", phase);
    jsonl.write("phase", m);
    return m;
  }

  /**
   * Samples every --sample interval until --duration after {@code loadStart} (System.nanoTime()).
   */
  void sampleLoad(
      Long bridgePid,
      String bridgeMetricsUrl,
      Long livekitPid,
      PhoneFleet phones,
      Plays plays,
      long loadStart)
      throws InterruptedException {
    long interval = o.sample.toNanos();
    long end = loadStart + o.duration.toNanos();
    long self = ProcessHandle.current().pid();
    Proc bridgePrev = bridgePid == null ? null : Proc.read(bridgePid);
    Proc lkPrev = livekitPid == null ? null : Proc.read(livekitPid);
    Proc phonesPrev = Proc.read(phones.pid());
    Proc selfPrev = Proc.read(self);
    long sentPrev = phones.sentTotal();
    long receivedPrev = latencies.received.sum();
    long tPrev = loadStart;
    long machinePrev = Proc.machineBusyTicks();
    say(
        "%7s %6s %7s %5s %5s | %5s %6s %6s %7s | %7s %7s %8s %8s %8s | %s",
        "t",
        "bridge",
        "RSS MB",
        "thr",
        "fds",
        "lk",
        "phones",
        "driver",
        "machine",
        "sent/s",
        "recv/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "client->listener p50/p99 ms");
    for (long next = loadStart + interval; next <= end + interval / 2; next += interval) {
      long wait = next - System.nanoTime();
      if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      long now = System.nanoTime();
      Proc bridge = bridgePid == null ? null : Proc.read(bridgePid);
      Proc lk = livekitPid == null ? null : Proc.read(livekitPid);
      Proc ph = Proc.read(phones.pid());
      Proc me = Proc.read(self);
      long machine = Proc.machineBusyTicks();
      long sent = phones.sentTotal();
      long got = latencies.received.sum();
      double dt = (now - tPrev) / 1e9;
      double machineCores =
          machine < 0 || machinePrev < 0
              ? Double.NaN
              : (machine - machinePrev) / (double) Proc.TICKS_PER_SECOND / dt;
      Latencies.Interval lat = latencies.takeInterval();
      Histogram down = lat.down();
      Histogram up = lat.up();
      Sample s =
          new Sample(
              (now - loadStart) / 1e9,
              cores(bridge, bridgePrev),
              bridge == null ? Double.NaN : bridge.rssMb(),
              bridge == null ? 0 : bridge.threads(),
              bridge == null ? 0 : bridge.fds(),
              cores(lk, lkPrev),
              cores(ph, phonesPrev),
              cores(me, selfPrev),
              machineCores,
              (sent - sentPrev) / dt,
              (got - receivedPrev) / dt,
              sent,
              got,
              down.percentileMs(50),
              down.percentileMs(99),
              down.maxMs(),
              up.percentileMs(50),
              up.percentileMs(99),
              up.maxMs());
      double other =
          s.machineCores()
              - finiteOr0(s.bridgeCores())
              - finiteOr0(s.livekitCores())
              - finiteOr0(s.phonesCores())
              - finiteOr0(s.driverCores());
      // Read the interval's figures before bank(), which drains its histograms into the totals.
      Map<String, Object> downFigures = latencies(down);
      Map<String, Object> upFigures = latencies(up);
      latencies.bank(lat, other < QUIET_OTHER_CORES);
      samples.add(s);
      write(s, phones, downFigures, upFigures, plays);
      if (o.soak && bridge != null) readMemory(bridgePid, bridgeMetricsUrl, s.t());
      say(
          "%6.0fs %6.3f %7.1f %5d %5d | %5.3f %6.3f %6.3f %7.2f | %7.0f %7.0f %8s %8s %8s | %s/%s",
          s.t(),
          s.bridgeCores(),
          s.rssMb(),
          s.threads(),
          s.fds(),
          s.livekitCores(),
          s.phonesCores(),
          s.driverCores(),
          s.machineCores(),
          s.sentPerSecond(),
          s.receivedPerSecond(),
          ms(s.downP50()),
          ms(s.downP99()),
          ms(s.downMax()),
          ms(s.upP50()),
          ms(s.upP99()));
      if (bridge == null && bridgePid != null)
        throw new IllegalStateException("the bridge process ended during the load; see its log");
      bridgePrev = bridge;
      lkPrev = lk;
      phonesPrev = ph;
      selfPrev = me;
      sentPrev = sent;
      receivedPrev = got;
      tPrev = now;
      machinePrev = machine;
    }
  }

  /**
   * Reads where the bridge's memory is at the first sample (before the warm-up ends, so the attach
   * thread it starts is in the thread baseline) and every {@link #memoryEverySeconds} after; after
   * a failure, not again.
   */
  private void readMemory(long pid, String metricsUrl, double t) {
    if (memoryFailed) return;
    if (!memory.isEmpty() && t - memory.get(memory.size() - 1).t() < memoryEverySeconds - 1) return;
    try {
      BridgeMemory.Breakdown b = BridgeMemory.read(pid, BridgeMemory.jcmd(), t);
      if (metricsUrl != null) b = b.withJavaHeapLiveMb(JavaHeapLive.readMb(metricsUrl));
      memory.add(b);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("t", round(t, 1));
      m.put("rss_mb", round(b.rssMb(), 1));
      m.put("java_heap_mb", round(b.javaHeapMb(), 1));
      if (Double.isFinite(b.javaHeapLiveMb()))
        m.put("java_heap_live_mb", round(b.javaHeapLiveMb(), 1));
      m.put("code_cache_mb", round(b.codeCacheMb(), 1));
      boolean glibc = b.allocator() == BridgeMemory.Allocator.GLIBC;
      if (glibc) m.put("malloc_in_use_mb", round(b.mallocInUseMb(), 1));
      m.put("files_mb", round(b.filesMb(), 1));
      m.put("other_mb", round(b.otherMb(), 1));
      m.put("allocator", b.allocator().name().toLowerCase(Locale.ROOT));
      jsonl.write("memory", m);
      say(
          "bridge memory: RSS %.1f MB = Java heap %.1f%s + code cache %.1f + %s + files %.1f + other %.1f",
          b.rssMb(),
          b.javaHeapMb(),
          Double.isFinite(b.javaHeapLiveMb())
              ? String.format(Locale.ROOT, " (live after GC %.1f)", b.javaHeapLiveMb())
              : "",
          b.codeCacheMb(),
          glibc
              ? String.format(Locale.ROOT, "malloc in use %.1f", b.mallocInUseMb())
              : "malloc (jemalloc: in other)",
          b.filesMb(),
          b.otherMb());
    } catch (IOException | RuntimeException e) {
      memoryFailed = true;
      say("bridge memory not readable, not tried again: %s", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void write(
      Sample s, PhoneFleet phones, Map<String, Object> down, Map<String, Object> up, Plays plays) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("t", round(s.t(), 1));
    m.put("bridge_cores", round(s.bridgeCores(), 4));
    m.put("bridge_rss_mb", round(s.rssMb(), 1));
    m.put("bridge_threads", s.threads());
    m.put("bridge_fds", s.fds());
    m.put("livekit_cores", round(s.livekitCores(), 4));
    m.put("phones_cores", round(s.phonesCores(), 4));
    m.put("driver_cores", round(s.driverCores(), 4));
    m.put("machine_cores", round(s.machineCores(), 3));
    m.put("sent_per_s", round(s.sentPerSecond(), 1));
    m.put("received_per_s", round(s.receivedPerSecond(), 1));
    m.put("sent_total", s.sentTotal());
    m.put("received_total", s.receivedTotal());
    m.put("phone_send_errors", phones.sendErrors());
    m.put("down_ms", down);
    m.put("up_ms", up);
    m.put("plays", plays.counts());
    jsonl.write("sample", m);
  }
}
