package com.mentra.bridge.load;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The command line of {@link LoadMain}. */
final class LoadOptions {
  static final String USAGE =
      """
      usage: scripts/load.sh [options]      (LoadMain inside the load namespace)

      The mix:
        --sessions N           sessions, one room and one phone each (default 50)
        --pps R                phone data packets per second per session (default 10; 0 = none)
        --bytes B              phone packet size: odd = 1-byte sequence header + PCM16 (default 3201)
        --uplink F             share of sessions streaming 16 kHz PCM up (StreamAudio), 0..1 (default 0)
        --uplink-chunk-ms MS   uplink chunk length, sent in real time: 10, 20, 25, 50 or 100 (default 100)
        --play F               share of sessions playing a URL in a loop (PlayAudio of a WAV), 0..1 (default 0)
        --play-seconds S       length of that WAV (default 10)
        --uplink-pause S       streaming sessions (not the listened-to ones) talk --uplink-talk seconds,
                               then send nothing for S seconds, out of phase with each other; above
                               the bridge's uplink idle time (5 s) their track is unpublished and
                               published again every cycle (default 0: a continuous stream)
        --uplink-talk S        talk time per cycle with --uplink-pause (default 3)
        --play-pause S         playing sessions wait S seconds between plays; above the player's
                               track idle time (5 s) the track is republished every play (default 0)
        --listen N             uplink sessions whose phone subscribes to the bridge's track and times
                               tone bursts: the client -> listener latency (default min(10, uplink sessions))
      The run:
        --duration D           load phase (default 60s; with --soak 1h); D = 90, 90s, 5m, 1h, 24h
        --soak                 soak: samples every 30 s, fits slopes after the warm-up, exits 1 on
                               RSS growth above --max-rss-slope, any thread or FD growth, or an
                               unaccounted drop
        --sample D             sampling interval (default 1s; with --soak 30s)
        --warmup D             soak samples ignored by the fits (default duration/3, at most 10m)
        --max-rss-slope MB     soak gate, MB per hour (default 2; off: report only, for runs too short
                               for the JVM's own heap sizing to settle)
        --hold-p99 MS          judge whether the run held its load: exits 1 unless every phone packet
                               arrived, every session joined, no stream failed and phone -> client
                               p99 <= MS (scripts/load-capacity.sh searches the largest N that holds)
        --join-concurrency C   JoinRooms in flight at once (default 8)
        --quiet-below CORES    first wait (at most 15 min) until the whole machine is busy with fewer
                               than CORES for 5 s: other work on shared cores distorts the figures
        --out DIR              output directory (default load/target/runs/<time>)
        --label TEXT           a name for the run, in the output and the plot
      What to run against:
        LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET   an existing LiveKit (default: start
                               livekit-server on LKB_NODE_IP with generated keys)
        --bridge HOST:PORT     an already running bridge (token: BRIDGE_TOKEN) instead of starting
                               the packaged jar; --bridge-pid PID to read its /proc
        --bridge-java-opts S   JVM options for the bridge this tool starts
        --bridge-env K=V       extra environment for that bridge (repeatable)
        --phones PATH          the lkb-phones binary (default $LKB_PHONES)
        --single-pc            phones use one peer connection instead of two
      """;

  int sessions = 50;
  double pps = 10;
  int bytes = 3201;
  double uplinkShare = 0;
  int uplinkChunkMs = 100;
  double playShare = 0;
  int playSeconds = 10;
  int uplinkPauseSeconds;
  int uplinkTalkSeconds = 3;
  int playPauseSeconds;
  Integer listen;
  Duration duration;
  boolean soak;
  Duration sample;
  Duration warmup;
  double maxRssSlopeMbPerHour = 2;

  /** --hold-p99; NaN: not judged. */
  double holdP99Ms = Double.NaN;

  int joinConcurrency = 8;
  double quietBelow;
  Path out;
  String label = "";
  String bridgeAddress;
  Long bridgePid;
  List<String> bridgeJavaOpts = new ArrayList<>();
  Map<String, String> bridgeEnv = new LinkedHashMap<>();
  Path phones;
  boolean singlePc;

  static LoadOptions parse(String[] args) {
    LoadOptions o = new LoadOptions();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        v = a.substring(eq + 1);
        a = a.substring(0, eq);
      }
      switch (a) {
        case "--soak" -> o.soak = true;
        case "--single-pc" -> o.singlePc = true;
        case "-h", "--help" -> throw new UsageException("");
        default -> {
          if (v == null) {
            if (i + 1 >= args.length) throw new UsageException(a + " needs a value");
            v = args[++i];
          }
          o.set(a, v);
        }
      }
    }
    if (o.duration == null) o.duration = o.soak ? Duration.ofHours(1) : Duration.ofSeconds(60);
    if (o.sample == null) o.sample = o.soak ? Duration.ofSeconds(30) : Duration.ofSeconds(1);
    if (o.warmup == null) o.warmup = min(Duration.ofMinutes(10), o.duration.dividedBy(3));
    if (o.out == null) {
      o.out =
          Path.of(
              "load/target/runs/"
                  + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }
    if (o.phones == null) {
      String env = System.getenv("LKB_PHONES");
      if (env == null || env.isBlank())
        throw new UsageException(
            "--phones or LKB_PHONES must name the lkb-phones binary (scripts/load.sh builds it)");
      o.phones = Path.of(env);
    }
    if (o.sessions < 1) throw new UsageException("--sessions must be at least 1");
    if (o.pps < 0 || o.pps > 100) throw new UsageException("--pps must be 0..100");
    if (o.bytes < 13 || o.bytes > 15_000) throw new UsageException("--bytes must be 13..15000");
    if (o.uplinkShare < 0 || o.uplinkShare > 1 || o.playShare < 0 || o.playShare > 1)
      throw new UsageException("--uplink and --play are shares, 0..1");
    if (o.uplinkPauseSeconds < 0 || o.uplinkTalkSeconds < 1 || o.playPauseSeconds < 0)
      throw new UsageException(
          "--uplink-pause and --play-pause >= 0, --uplink-talk >= 1 (seconds)");
    if (o.uplinkChunkMs < 10 || o.uplinkChunkMs > 100 || 100 % o.uplinkChunkMs != 0)
      throw new UsageException("--uplink-chunk-ms must divide 100 (10, 20, 25, 50, 100)");
    if (o.duration.compareTo(Duration.ofHours(48)) > 0)
      throw new UsageException("--duration is at most 48h");
    if (o.sample.toMillis() < 200) throw new UsageException("--sample is at least 200ms");
    return o;
  }

  int uplinkSessions() {
    return (int) Math.round(sessions * uplinkShare);
  }

  int playSessions() {
    return (int) Math.round(sessions * playShare);
  }

  int listeners() {
    return Math.min(uplinkSessions(), listen == null ? 10 : listen);
  }

  /**
   * Session i streams up when i < uplinkSessions(); it plays when i >= sessions - playSessions().
   */
  boolean uplinks(int i) {
    return i < uplinkSessions();
  }

  boolean plays(int i) {
    return i >= sessions - playSessions();
  }

  private void set(String name, String v) {
    try {
      switch (name) {
        case "--sessions" -> sessions = Integer.parseInt(v);
        case "--pps" -> pps = Double.parseDouble(v);
        case "--bytes" -> bytes = Integer.parseInt(v);
        case "--uplink" -> uplinkShare = Double.parseDouble(v);
        case "--uplink-chunk-ms" -> uplinkChunkMs = Integer.parseInt(v);
        case "--play" -> playShare = Double.parseDouble(v);
        case "--play-seconds" -> playSeconds = Integer.parseInt(v);
        case "--uplink-pause" -> uplinkPauseSeconds = Integer.parseInt(v);
        case "--uplink-talk" -> uplinkTalkSeconds = Integer.parseInt(v);
        case "--play-pause" -> playPauseSeconds = Integer.parseInt(v);
        case "--listen" -> listen = Integer.parseInt(v);
        case "--duration" -> duration = duration(v);
        case "--sample" -> sample = duration(v);
        case "--warmup" -> warmup = duration(v);
        case "--max-rss-slope" ->
            maxRssSlopeMbPerHour =
                v.equals("off") ? Double.POSITIVE_INFINITY : Double.parseDouble(v);
        case "--hold-p99" -> holdP99Ms = Double.parseDouble(v);
        case "--join-concurrency" -> joinConcurrency = Math.max(1, Integer.parseInt(v));
        case "--out" -> out = Path.of(v);
        case "--quiet-below" -> quietBelow = Double.parseDouble(v);
        case "--label" -> label = v;
        case "--bridge" -> bridgeAddress = v;
        case "--bridge-pid" -> bridgePid = Long.parseLong(v);
        case "--bridge-java-opts" ->
            bridgeJavaOpts.addAll(
                List.of(v.trim().split("\\s+")).stream().filter(s -> !s.isEmpty()).toList());
        case "--bridge-env" -> {
          int eq = v.indexOf('=');
          if (eq <= 0) throw new UsageException("--bridge-env wants K=V, not " + v);
          bridgeEnv.put(v.substring(0, eq), v.substring(eq + 1));
        }
        case "--phones" -> phones = Path.of(v);
        default -> throw new UsageException("unknown option " + name);
      }
    } catch (NumberFormatException e) {
      throw new UsageException(name + ": not a number: " + v);
    }
  }

  /** 90, 90s, 500ms, 5m, 1h, 24h. */
  static Duration duration(String v) {
    String s = v.trim().toLowerCase();
    try {
      if (s.endsWith("ms"))
        return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
      if (s.endsWith("s"))
        return Duration.ofMillis(
            Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
      if (s.endsWith("m"))
        return Duration.ofMillis(
            Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 60_000));
      if (s.endsWith("h"))
        return Duration.ofMillis(
            Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 3_600_000));
      return Duration.ofMillis(Math.round(Double.parseDouble(s) * 1000));
    } catch (NumberFormatException e) {
      throw new UsageException("not a duration: " + v);
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message);
    }
  }
}
