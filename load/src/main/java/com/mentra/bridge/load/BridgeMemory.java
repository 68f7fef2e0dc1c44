package com.mentra.bridge.load;

import com.mentra.testing.ProcessMemory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the bridge's resident memory is, so that a soak's RSS slope can be told apart into a leak
 * (malloc in use rising) and a JVM settling (its code cache filling, its heap touching more pages).
 * One {@code jcmd -f} call gives the Java heap's and the code cache's address ranges ({@code
 * GC.heap_info}, {@code Compiler.codecache}) and glibc's malloc totals ({@code
 * System.native_heap_info}, not known with jemalloc); {@code /proc/PID/smaps} gives what is
 * resident in each range.
 *
 * <p>Costs one short-lived JVM (jcmd) per reading, so the soak reads it every few minutes, not
 * every sample. The first reading starts the bridge's "Attach Listener" thread, which stays: take
 * it before the thread count's baseline. Stateless.
 */
final class BridgeMemory {
  /**
   * The bridge's malloc. glibc's totals can be read from outside ({@code System.native_heap_info});
   * jemalloc's cannot, so with it malloc in use is counted in {@link Breakdown#otherMb}.
   */
  enum Allocator {
    GLIBC,
    JEMALLOC
  }

  /**
   * One reading, in MB; {@code t} in seconds since the load started. With {@link
   * Allocator#JEMALLOC} {@code mallocInUseMb} is 0: not known. {@code javaHeapLiveMb} is what the
   * heap held after its last collection (the bridge's /metrics, {@link JavaHeapLive}), NaN when not
   * known: set against {@code javaHeapMb} (resident pages), it tells a heap that fills more of its
   * regions from one whose live data grows.
   */
  record Breakdown(
      double t,
      double rssMb,
      double javaHeapMb,
      double codeCacheMb,
      double mallocInUseMb,
      double filesMb,
      Allocator allocator,
      double javaHeapLiveMb) {
    Breakdown withJavaHeapLiveMb(double mb) {
      return new Breakdown(
          t, rssMb, javaHeapMb, codeCacheMb, mallocInUseMb, filesMb, allocator, mb);
    }

    /**
     * The rest of RSS: memory malloc keeps free (with jemalloc: all of malloc's), metaspace, thread
     * stacks, the GC's own structures.
     */
    double otherMb() {
      return rssMb - javaHeapMb - codeCacheMb - mallocInUseMb - filesMb;
    }
  }

  private static final String COMMANDS =
      "GC.heap_info\nCompiler.codecache\nSystem.native_heap_info\n";

  /** G1 prints {@code [start, end)}, Serial and Parallel one bracket per generation. */
  private static final Pattern BRACKET = Pattern.compile("\\[0x[0-9a-f]+(?:, 0x[0-9a-f]+)*[)\\]]");

  /** {@code bounds [start, committed end, reserved end]} after each code heap. */
  private static final Pattern CODE_BOUNDS =
      Pattern.compile("bounds \\[(0x[0-9a-f]+), 0x[0-9a-f]+, (0x[0-9a-f]+)\\]");

  private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-f]+");

  private static final Pattern MAPPING =
      Pattern.compile("^([0-9a-f]+)-([0-9a-f]+) \\S+ \\S+ \\S+ \\S+\\s*(.*)$");

  private BridgeMemory() {}

  /** The jcmd of the JDK that runs the bridge. */
  static Path jcmd() {
    return BridgeTarget.java().resolveSibling("jcmd");
  }

  /** Reads the bridge's breakdown; throws when jcmd cannot attach or prints no ranges. */
  static Breakdown read(long pid, Path jcmd, double t) throws IOException, InterruptedException {
    Path commands = Files.createTempFile("lkb-jcmd", ".txt");
    // To a file, not a pipe: reading a pipe would wait for jcmd without the timeout.
    Path output = Files.createTempFile("lkb-jcmd", ".out");
    try {
      Files.writeString(commands, COMMANDS);
      Process p =
          new ProcessBuilder(jcmd.toString(), Long.toString(pid), "-f", commands.toString())
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("jcmd did not end within 30 s");
      }
      String out = Files.readString(output, StandardCharsets.UTF_8);
      if (p.exitValue() != 0)
        throw new IOException("jcmd exited " + p.exitValue() + ": " + out.strip());
      List<String> smaps = Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps"));
      return parse(t, out, smaps);
    } finally {
      Files.deleteIfExists(commands);
      Files.deleteIfExists(output);
    }
  }

  /** The breakdown from jcmd's output and the smaps lines (separate for the tests). */
  static Breakdown parse(double t, String jcmdOutput, List<String> smaps) {
    int codeStart = jcmdOutput.indexOf("CodeHeap");
    if (codeStart < 0) throw new IllegalArgumentException("no Compiler.codecache output");
    long[] heap = heapRange(jcmdOutput.substring(0, codeStart));
    long[] code = codeRange(jcmdOutput);
    // A preloaded jemalloc serves every malloc; glibc's totals then describe an unused heap.
    Allocator allocator =
        smaps.stream().anyMatch(l -> l.contains("/libjemalloc.so"))
            ? Allocator.JEMALLOC
            : Allocator.GLIBC;
    long mallocInUse =
        allocator == Allocator.GLIBC ? ProcessMemory.mallocInUseBytes(jcmdOutput) : 0;

    long rss = 0, inHeap = 0, inCode = 0, files = 0;
    long start = 0;
    String name = "";
    for (String line : smaps) {
      Matcher m = MAPPING.matcher(line);
      if (m.matches()) {
        start = Long.parseUnsignedLong(m.group(1), 16);
        name = m.group(3).strip();
        continue;
      }
      if (!line.startsWith("Rss:")) continue;
      long kb = Long.parseLong(line.replaceAll("\\D", ""));
      rss += kb;
      if (start >= heap[0] && start < heap[1]) inHeap += kb;
      else if (start >= code[0] && start < code[1]) inCode += kb;
      else if (name.startsWith("/")) files += kb;
    }
    return new Breakdown(
        t,
        rss / 1024.0,
        inHeap / 1024.0,
        inCode / 1024.0,
        mallocInUse / 1048576.0,
        files / 1024.0,
        allocator,
        Double.NaN);
  }

  /** The lowest and highest address in GC.heap_info's brackets. */
  private static long[] heapRange(String heapInfo) {
    long low = Long.MAX_VALUE, high = 0;
    Matcher m = ADDRESS.matcher("");
    Matcher bracket = BRACKET.matcher(heapInfo);
    while (bracket.find()) {
      m.reset(bracket.group());
      while (m.find()) {
        long a = Long.parseUnsignedLong(m.group().substring(2), 16);
        low = Math.min(low, a);
        high = Math.max(high, a);
      }
    }
    if (high == 0) throw new IllegalArgumentException("no heap address range in: " + heapInfo);
    return new long[] {low, high};
  }

  /** From the first code heap's start to the last one's reserved end. */
  private static long[] codeRange(String codeCache) {
    long low = Long.MAX_VALUE, high = 0;
    Matcher m = CODE_BOUNDS.matcher(codeCache);
    while (m.find()) {
      low = Math.min(low, Long.parseUnsignedLong(m.group(1).substring(2), 16));
      high = Math.max(high, Long.parseUnsignedLong(m.group(2).substring(2), 16));
    }
    if (high == 0) throw new IllegalArgumentException("no code heap bounds");
    return new long[] {low, high};
  }
}
