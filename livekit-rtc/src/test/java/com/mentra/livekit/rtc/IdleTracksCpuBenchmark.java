package com.mentra.livekit.rtc;

import com.mentra.bridge.dsp.AudioClock;
import com.mentra.testing.LiveKitServerProcess;
import com.mentra.testing.Tones;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * What 100 published but idle audio tracks cost: CPU of this JVM (the publisher, as the bridge) and
 * of livekit-server, and UDP datagrams per second in the test namespace, over 10 s each for tracks
 * that get nothing pushed (the bridge before issue 9), tracks that get digital silence every 10 ms
 * (continuous cadence: Opus DTX sends one small packet per 400 ms) before and after they carried
 * sound, and, for reference, tracks that get a tone every 10 ms. Silence on tracks that never
 * carried sound costs about 2.8 times as much as after (the pushing is the same: the difference is
 * inside libwebrtc's encoder); the bridge publishes a track on its first sound, so its idle tracks
 * are the latter.
 *
 * <p>A benchmark, not a test: it prints figures and asserts nothing, and the test run leaves it out
 * (livekit-rtc's pom excludes {@code *Benchmark}). Run by {@code scripts/bench-idle-tracks.sh},
 * inside a network namespace of its own (the UDP counts are the namespace's), about 70 s. System
 * property {@code bench.verbose}: this JVM's logs at INFO (else WARN).
 */
public final class IdleTracksCpuBenchmark {
  private static final int PARTICIPANTS = 10;
  private static final int TRACKS_EACH = 10;
  private static final int MEASURE_MS = 10_000;

  private IdleTracksCpuBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (!Boolean.getBoolean("bench.verbose")) {
      ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("com.mentra"))
          .setLevel(ch.qos.logback.classic.Level.WARN);
    }
    List<Room> rooms = new ArrayList<>();
    List<LocalAudioTrack> tracks = new ArrayList<>();
    try (LiveKitServerProcess lk = LiveKitServerProcess.start();
        AudioClock clock = new AudioClock()) {
      // The rooms close before the clock and the server (the resources close first otherwise).
      try {
        for (int p = 0; p < PARTICIPANTS; p++) {
          // Subscribed to nothing, like a bridge session without subscribe_target_audio: the cost
          // measured is the sending.
          Room room =
              Room.connect(
                  lk.wsUrl(),
                  lk.token("idle-bench", "bot-" + p),
                  RoomOptions.builder().audioSubscriptions(java.util.Set.of()).build(),
                  new RoomListener() {});
          rooms.add(room);
          for (int t = 0; t < TRACKS_EACH; t++)
            tracks.add(room.publishAudio(LocalAudioTrackOptions.microphone("idle-" + t)));
        }
        ProcessHandle server =
            ProcessHandle.current()
                .descendants()
                .filter(h -> h.info().command().orElse("").contains("livekit-server"))
                .findFirst()
                .orElseThrow();
        Thread.sleep(3_000); // negotiation settles

        System.out.printf(
            "%d published tracks (%d participants x %d), %d s each, %d CPUs:%n",
            tracks.size(),
            PARTICIPANTS,
            TRACKS_EACH,
            MEASURE_MS / 1000,
            Runtime.getRuntime().availableProcessors());
        measure("nothing pushed (before issue 9)", clock, tracks, null, server);
        measure("silence, never carried sound", clock, tracks, new short[480], server);
        measure(
            "tone (active tracks, reference)",
            clock,
            tracks,
            Tones.sine(440, 48_000, 8_000, 10),
            server);
        measure("silence after sound (idle, after)", clock, tracks, new short[480], server);
      } finally {
        for (Room room : rooms) room.close();
      }
    }
    System.exit(0); // no leftover non-daemon thread keeps the JVM alive
  }

  private static void measure(
      String what,
      AudioClock clock,
      List<LocalAudioTrack> tracks,
      short[] frame,
      ProcessHandle server)
      throws Exception {
    AudioClock.Registration tick =
        frame == null
            ? null
            : clock.register(
                t -> {
                  for (LocalAudioTrack track : tracks) track.pushFrame(frame, 48_000, 1);
                });
    try {
      Thread.sleep(2_000); // DTX engages after 200 ms of silence; let everything settle
      long jvm0 = jvmCpuNanos();
      long srv0 = cpuNanos(server);
      long[] udp0 = udpDatagrams();
      long wall0 = System.nanoTime();
      Thread.sleep(MEASURE_MS);
      double seconds = (System.nanoTime() - wall0) / 1e9;
      double jvm = (jvmCpuNanos() - jvm0) / 1e9;
      double srv = (cpuNanos(server) - srv0) / 1e9;
      long[] udp1 = udpDatagrams();
      System.out.printf(
          "  %-36s publisher JVM %5.1f%% of one core (%.2f s CPU), livekit-server %5.1f%%, UDP %6.0f datagrams/s sent in the namespace%n",
          what, 100 * jvm / seconds, jvm, 100 * srv / seconds, (udp1[1] - udp0[1]) / seconds);
    } finally {
      if (tick != null) tick.close();
    }
  }

  private static long jvmCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** utime + stime of a process from /proc, in ns. */
  private static long cpuNanos(ProcessHandle process) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    return ticks * 10_000_000L; // USER_HZ = 100
  }

  /** UDP InDatagrams and OutDatagrams of this network namespace. */
  private static long[] udpDatagrams() throws IOException {
    List<String> lines = Files.readAllLines(Path.of("/proc/net/snmp"));
    for (int i = 0; i + 1 < lines.size(); i++) {
      if (lines.get(i).startsWith("Udp:") && lines.get(i + 1).startsWith("Udp:")) {
        String[] names = lines.get(i).split("\\s+");
        String[] values = lines.get(i + 1).split("\\s+");
        long in = 0;
        long out = 0;
        for (int k = 1; k < names.length; k++) {
          if (names[k].equals("InDatagrams")) in = Long.parseLong(values[k]);
          if (names[k].equals("OutDatagrams")) out = Long.parseLong(values[k]);
        }
        return new long[] {in, out};
      }
    }
    return new long[] {0, 0};
  }
}
