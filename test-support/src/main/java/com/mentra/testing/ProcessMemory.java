package com.mentra.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.JMException;
import javax.management.ObjectName;

/** This process's memory as the OS counts it (RSS) and as glibc's malloc counts it (in use). */
public final class ProcessMemory {
  private static final Pattern TOTAL =
      Pattern.compile(
          "<(total|system) type=\"(fast|rest|mmap|current)\"(?: count=\"\\d+\")? size=\"(\\d+)\"/>");

  /** NMT summary's first total: {@code malloc: 32910KB #53054, peak=...}. */
  private static final Pattern JVM_MALLOC =
      Pattern.compile("^\\s*malloc: (\\d+)KB", Pattern.MULTILINE);

  private ProcessMemory() {}

  /** VmRSS from /proc/self/status, in KB. */
  public static long rssKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", ""));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  /**
   * Bytes glibc's malloc has handed out and not had back (all arenas, mmapped chunks included), in
   * KB: what native code holds, without the freed memory malloc keeps for reuse. RSS hides a leak
   * whenever earlier frees left room for it; this does not.
   *
   * <p>Read from the JVM's {@code System.native_heap_info} diagnostic command (glibc's {@code
   * malloc_info}), whose closing totals give each arena's size ({@code system current}), the free
   * chunks in it ({@code fast}, {@code rest}; the top chunk counts as free) and mmapped chunks.
   */
  public static long mallocInUseKb() {
    return mallocInUseBytes(nativeHeapInfo()) / 1024;
  }

  /**
   * The bytes in use by glibc's {@code malloc_info} text (as {@code jcmd PID
   * System.native_heap_info} prints it): the closing totals, after the last arena, give the arenas'
   * size less their free chunks, plus mmapped chunks.
   *
   * @throws IllegalArgumentException when the text has no arenas or lacks one of the totals
   */
  public static long mallocInUseBytes(String mallocInfo) {
    int totals = mallocInfo.lastIndexOf("</heap>");
    if (totals < 0) throw new IllegalArgumentException("no malloc_info arenas in: " + mallocInfo);
    long fast = -1, rest = -1, mmap = -1, current = -1;
    Matcher m = TOTAL.matcher(mallocInfo.substring(totals));
    while (m.find()) {
      long size = Long.parseLong(m.group(3));
      switch (m.group(2)) {
        case "fast" -> fast = size;
        case "rest" -> rest = size;
        case "mmap" -> mmap = size;
        case "current" -> current = size;
        default -> throw new AssertionError(m.group(2));
      }
    }
    if (fast < 0 || rest < 0 || mmap < 0 || current < 0)
      throw new IllegalArgumentException(
          "malloc_info without its totals: " + mallocInfo.substring(totals));
    return current - fast - rest + mmap;
  }

  /**
   * What {@link #mallocInUseKb()} counts less what the JVM itself has malloc'ed (its compilers'
   * arenas, GC and class data), in KB: what the native libraries the process loaded hold. The JVM's
   * share moves by megabytes on its own (a compiler arena freed five seconds after its compile),
   * which hid and faked leaks of a few hundred KB. Needs {@code -XX:NativeMemoryTracking=summary}.
   */
  public static long mallocOutsideJvmKb() {
    long inUse = mallocInUseKb();
    String summary = diagnosticCommand("vmNativeMemory", "summary", "scale=KB");
    Matcher m = JVM_MALLOC.matcher(summary);
    if (!m.find())
      throw new IllegalStateException(
          "no JVM malloc total (run with -XX:NativeMemoryTracking=summary): " + summary.strip());
    return inUse - Long.parseLong(m.group(1));
  }

  /**
   * {@link #mallocOutsideJvmKb()} once collected Java objects have released their native parts (a
   * full GC, then 200 ms for their cleaners): measured the same way before and after a run, so
   * native memory that only waited for the GC does not count as growth.
   */
  public static long settledMallocOutsideJvmKb() throws InterruptedException {
    System.gc();
    Thread.sleep(200);
    return mallocOutsideJvmKb();
  }

  private static String nativeHeapInfo() {
    return diagnosticCommand("systemNativeHeapInfo");
  }

  /** Runs one of the JVM's diagnostic commands (as jcmd would) and returns what it printed. */
  private static String diagnosticCommand(String operation, String... arguments) {
    try {
      Object out =
          ManagementFactory.getPlatformMBeanServer()
              .invoke(
                  new ObjectName("com.sun.management:type=DiagnosticCommand"),
                  operation,
                  new Object[] {arguments},
                  new String[] {String[].class.getName()});
      return (String) out;
    } catch (JMException e) {
      throw new IllegalStateException("this JVM cannot run the diagnostic command " + operation, e);
    }
  }
}
