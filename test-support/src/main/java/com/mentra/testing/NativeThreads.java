package com.mentra.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's OS threads by name, native ones included (what the JVM's thread list omits). */
public final class NativeThreads {
  private NativeThreads() {}

  /** OS threads of this process whose name starts with {@code prefix}, e.g. "AudioEncoder". */
  public static long count(String prefix) {
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      return tasks.filter(task -> named(task, prefix)).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean named(Path task, String prefix) {
    try {
      return Files.readString(task.resolve("comm")).startsWith(prefix);
    } catch (IOException ended) {
      return false; // the thread ended while listing
    }
  }
}
