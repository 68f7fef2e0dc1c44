package com.mentra.testing;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Processes the harness started and not yet ended. A JVM shutdown hook kills what is left, so a
 * test JVM that dies or forgets a {@code close()} leaves no livekit-server or Node peer behind.
 * Thread-safe.
 */
final class ChildProcesses {
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (Process p : LIVE) p.destroyForcibly();
                },
                "test-support-child-reaper"));
  }

  private ChildProcesses() {}

  static Process track(Process process) {
    LIVE.add(process);
    process.onExit().thenRun(() -> LIVE.remove(process));
    return process;
  }
}
