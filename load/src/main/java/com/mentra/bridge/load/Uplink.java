package com.mentra.bridge.load;

import com.google.protobuf.ByteString;
import com.mentra.bridge.api.AudioChunk;
import com.mentra.bridge.dsp.Pcm16;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The uplink load and its measurement. One thread sends every uplink session's next chunk every
 * {@code uplinkChunkMs}: a continuous 440 Hz tone, except for the listened-to sessions, which send
 * one tone burst a second followed by silence; with {@code --uplink-pause} the others send in talk
 * spurts, out of phase with each other (see {@link #talking}). The bursts last 200, 300, 400 and
 * 500 ms in turn, so the listener, which measures each burst's length, says which burst it heard
 * even when the latency exceeds a second (the bridge's uplink buffer holds up to UPLINK_BUFFER_MS,
 * 2 s by default).
 *
 * <p>Thread-safe: the sender thread only sends; {@link #heard} runs on the phones' event thread and
 * touches only concurrent counters.
 */
final class Uplink {
  private final LoadOptions o;
  private final List<Session> sessions;
  private final Latencies latencies;
  private final ScheduledExecutorService sender =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().name("uplink").daemon().unstarted(r));
  private long sendFailures; // the sender thread only
  private final AtomicLong unmatchedBursts = new AtomicLong();

  /**
   * Bursts whose heard length is no burst length sent: cut or stretched on the way (underruns,
   * drops).
   */
  private final AtomicLong distortedBursts = new AtomicLong();

  /**
   * Heard burst lengths, rounded to 20 ms (one Opus frame): how faithfully the uplink carries
   * audio.
   */
  private final Map<Integer, Long> heardBurstMs = new ConcurrentSkipListMap<>();

  Uplink(LoadOptions o, List<Session> sessions, Latencies latencies) {
    this.o = o;
    this.sessions = sessions;
    this.latencies = latencies;
  }

  void start() {
    int perSecond = 1000 / o.uplinkChunkMs;
    int samplesPerChunk = 16 * o.uplinkChunkMs;
    AudioChunk[] tone = new AudioChunk[perSecond];
    AudioChunk silence =
        AudioChunk.newBuilder()
            .setPcmData(ByteString.copyFrom(new byte[samplesPerChunk * 2]))
            .setSampleRate(16_000)
            .setChannels(1)
            .build();
    for (int k = 0; k < perSecond; k++) {
      short[] pcm = new short[samplesPerChunk];
      for (int n = 0; n < samplesPerChunk; n++) {
        long sample = (long) k * samplesPerChunk + n;
        pcm[n] = (short) Math.round(8000 * Math.sin(2 * Math.PI * 440 * sample / 16_000.0));
      }
      tone[k] =
          AudioChunk.newBuilder()
              .setPcmData(ByteString.copyFrom(Pcm16.encode(pcm)))
              .setSampleRate(16_000)
              .setChannels(1)
              .build();
    }
    long[] tick = {0};
    sender.scheduleAtFixedRate(
        () -> {
          long n = tick[0]++;
          int k = (int) (n % perSecond);
          int lengthClass = (int) ((n / perSecond) % 4);
          boolean inBurst = k * o.uplinkChunkMs < 200 + 100 * lengthClass;
          long now = Session.nowMicros();
          for (Session s : sessions) {
            if (!o.uplinks(s.index)) continue;
            try {
              if (s.index < o.listeners()) {
                if (k == 0) s.burstSent(now, lengthClass);
                s.send(inBurst ? tone[k] : silence);
              } else if (talking(n, s.index, perSecond)) {
                s.send(tone[k]);
              }
            } catch (RuntimeException e) {
              // One session's failure must not escape: it would cancel this periodic task, and
              // every session's uplink with it, silently.
              if (sendFailures++ % 1_000 == 0)
                Console.say("uplink send to session %d failed: %s", s.index, e);
            }
          }
        },
        0,
        o.uplinkChunkMs,
        TimeUnit.MILLISECONDS);
  }

  void stop() {
    sender.shutdownNow();
  }

  /**
   * Whether session {@code index} sends at chunk {@code n}: always for a continuous stream; with
   * {@code --uplink-pause}, during the first {@code --uplink-talk} seconds of each cycle, the
   * sessions' cycles spread evenly so that their tracks do not all republish at once.
   */
  private boolean talking(long n, int index, int perSecond) {
    if (o.uplinkPauseSeconds == 0) return true;
    long cycle = (long) (o.uplinkTalkSeconds + o.uplinkPauseSeconds) * perSecond;
    long phase = (n + index * cycle / Math.max(1, o.uplinkSessions())) % cycle;
    return phase < (long) o.uplinkTalkSeconds * perSecond;
  }

  /**
   * A listening phone heard a burst of {@code lengthMs} starting at {@code atMicros}: times it
   * against the burst sent.
   */
  void heard(int phone, long atMicros, double lengthMs) {
    if (phone >= sessions.size()) return;
    heardBurstMs.merge((int) (Math.round(lengthMs / 20.0) * 20), 1L, Long::sum);
    int lengthClass = burstClass(lengthMs);
    long latency = lengthClass < 0 ? -1 : sessions.get(phone).burstLatency(atMicros, lengthClass);
    if (lengthClass < 0) distortedBursts.incrementAndGet();
    else if (latency >= 0) latencies.up.record(latency);
    else unmatchedBursts.incrementAndGet();
  }

  /**
   * A heard burst's length class: 200, 300, 400 or 500 ms sent (see the class comment), heard about
   * 50 ms longer (the Opus frames after the tone still carry its tail: measured 240-260 ms for 200
   * ms), within 40 ms; -1 for any other length.
   */
  static int burstClass(double lengthMs) {
    long c = Math.round((lengthMs - 50) / 100.0) - 2;
    if (c < 0 || c > 3 || Math.abs(lengthMs - (250 + 100 * c)) > 40) return -1;
    return (int) c;
  }

  /** The summary's "uplink" figures: what was sent, and how the listeners heard it. */
  Map<String, Object> figures() {
    long chunks = 0;
    long notReady = 0;
    for (Session s : sessions) {
      chunks += s.uplinkChunks;
      notReady += s.uplinkNotReady;
    }
    Map<String, Object> up = new LinkedHashMap<>();
    up.put("chunks_sent", chunks);
    up.put("sent_while_not_ready", notReady);
    up.put("listener_bursts_timed", latencies.upTotal.count());
    up.put("listener_bursts_distorted", distortedBursts.get());
    up.put("listener_bursts_unmatched", unmatchedBursts.get());
    Map<String, Long> lengths = new LinkedHashMap<>();
    heardBurstMs.forEach((ms, n) -> lengths.put(String.valueOf(ms), n));
    up.put("listener_burst_ms", lengths);
    return up;
  }
}
