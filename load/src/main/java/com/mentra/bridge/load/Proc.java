package com.mentra.bridge.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What /proc says about one process: CPU time (user + system, all threads), resident memory, OS
 * threads (the JVM's and libwebrtc's native ones alike) and open file descriptors.
 */
record Proc(long pid, long cpuTicks, long rssKb, int threads, int fds, long atNanos) {
  /** Clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ, 100 on Linux). */
  static final long TICKS_PER_SECOND = 100;

  /** Reads {@code pid}, or null when it has exited. */
  static Proc read(long pid) {
    try {
      long now = System.nanoTime();
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      // The command name may contain spaces and parentheses: fields count from the last ')'.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
      long rss = 0;
      int threads = 0;
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) rss = Long.parseLong(line.replaceAll("\\D", ""));
        else if (line.startsWith("Threads:"))
          threads = Integer.parseInt(line.replaceAll("\\D", ""));
      }
      int fds;
      try (Stream<Path> list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
        fds = (int) list.count();
      }
      return new Proc(pid, ticks, rss, threads, fds, now);
    } catch (IOException | RuntimeException gone) {
      return null;
    }
  }

  /** Cores used between {@code earlier} and this reading. */
  double coresSince(Proc earlier) {
    double seconds = (atNanos - earlier.atNanos) / 1e9;
    return seconds <= 0 ? 0 : (cpuTicks - earlier.cpuTicks) / (double) TICKS_PER_SECOND / seconds;
  }

  double rssMb() {
    return rssKb / 1024.0;
  }

  /**
   * The machine's busy CPU time so far (all CPUs, user + nice + system + irq + softirq + steal), in
   * ticks; -1 if unreadable.
   */
  static long machineBusyTicks() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long busy = 0;
      for (int i : new int[] {1, 2, 3, 6, 7, 8}) busy += Long.parseLong(f[i]);
      return busy;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * CPU ticks so far of each thread of {@code pid}: thread id -> {name with digits folded, ticks}.
   */
  static java.util.Map<Long, Object[]> threadTicks(long pid) {
    java.util.Map<Long, Object[]> out = new java.util.HashMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : tasks.toList()) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String name =
              stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("\\d+", "#");
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          out.put(
              Long.parseLong(task.getFileName().toString()),
              new Object[] {name, Long.parseLong(f[11]) + Long.parseLong(f[12])});
        } catch (IOException | RuntimeException ended) {
          // the thread ended while we listed
        }
      }
    } catch (IOException gone) {
      // the process ended
    }
    return out;
  }

  /**
   * Where the CPU went between two {@link #threadTicks} readings {@code seconds} apart: per thread
   * name (digits folded), the cores used and how many such threads there were, busiest first.
   */
  static java.util.List<java.util.Map<String, Object>> hotThreads(
      java.util.Map<Long, Object[]> before,
      java.util.Map<Long, Object[]> after,
      double seconds,
      int top) {
    java.util.Map<String, long[]> byName = new java.util.HashMap<>();
    after.forEach(
        (tid, v) -> {
          Object[] b = before.get(tid);
          long used = (Long) v[1] - (b == null ? 0 : (Long) b[1]);
          long[] acc = byName.computeIfAbsent((String) v[0], k -> new long[2]);
          acc[0] += used;
          acc[1]++;
        });
    return byName.entrySet().stream()
        .sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0]))
        .limit(top)
        .map(
            e -> {
              java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
              m.put("thread", e.getKey());
              m.put("count", e.getValue()[1]);
              m.put(
                  "cores",
                  Math.round(e.getValue()[0] / (double) TICKS_PER_SECOND / seconds * 1000)
                      / 1000.0);
              return m;
            })
        .toList();
  }

  /** OS thread names of {@code pid} with digits folded, and their counts: who owns the threads. */
  static java.util.SortedMap<String, Integer> threadNames(long pid) {
    java.util.SortedMap<String, Integer> names = new java.util.TreeMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : tasks.toList()) {
        try {
          names.merge(
              Files.readString(task.resolve("comm")).strip().replaceAll("\\d+", "#"),
              1,
              Integer::sum);
        } catch (IOException ended) {
          // the thread ended while we listed
        }
      }
    } catch (IOException gone) {
      // the process ended
    }
    return names;
  }
}
