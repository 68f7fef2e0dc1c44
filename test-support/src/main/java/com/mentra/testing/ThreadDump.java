package com.mentra.testing;

import java.util.Comparator;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A short dump of this JVM's platform threads whose names start with given prefixes: for a failure
 * message that has to say what the threads that should have acted were doing instead.
 */
public final class ThreadDump {
  private static final int FRAMES = 6;

  private ThreadDump() {}

  /** Each matching thread's name, state and top frames, one thread per paragraph. */
  public static String of(String... namePrefixes) {
    return Thread.getAllStackTraces().entrySet().stream()
        .filter(e -> matches(e.getKey().getName(), namePrefixes))
        .sorted(Comparator.comparing(e -> e.getKey().getName()))
        .map(ThreadDump::describe)
        .collect(Collectors.joining("\n"));
  }

  private static boolean matches(String name, String[] prefixes) {
    for (String prefix : prefixes) if (name.startsWith(prefix)) return true;
    return false;
  }

  private static String describe(Map.Entry<Thread, StackTraceElement[]> thread) {
    StringBuilder out =
        new StringBuilder(thread.getKey().getName())
            .append(" ")
            .append(thread.getKey().getState())
            .append('\n');
    StackTraceElement[] frames = thread.getValue();
    for (int i = 0; i < Math.min(FRAMES, frames.length); i++)
      out.append("    at ").append(frames[i]).append('\n');
    return out.toString();
  }
}
