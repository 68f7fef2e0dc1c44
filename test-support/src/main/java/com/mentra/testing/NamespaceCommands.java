package com.mentra.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The system commands that set up and tear down a {@link LossyNamespace} (ip, iptables, nsenter):
 * each runs with a 15 s limit and its output returned; a failure throws {@link
 * IllegalStateException} naming the command, its output and what the commands need.
 *
 * <p>Thread-safe: stateless.
 */
final class NamespaceCommands {
  /** What the commands need, appended to every failure. */
  static final String HOW =
      " (needs root, iproute2, util-linux nsenter and iptables, which scripts/test.sh installs)";

  private NamespaceCommands() {}

  /** {@code command} in the mount namespace of this JVM's parent when it differs from ours. */
  static String hostMount(String... command) {
    List<String> full = new ArrayList<>();
    Path mine = Path.of("/proc/self/ns/mnt");
    long parent = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(1L);
    Path theirs = Path.of("/proc/" + parent + "/ns/mnt");
    try {
      if (!Files.readSymbolicLink(mine).equals(Files.readSymbolicLink(theirs))) {
        full.addAll(List.of("nsenter", "--mount=" + theirs));
      }
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot read the mount namespaces " + mine + " / " + theirs + HOW, e);
    }
    full.addAll(List.of(command));
    return run(full.toArray(String[]::new));
  }

  static String run(String... command) {
    return run(true, command);
  }

  static String runAllowingFailure(String... command) {
    return run(false, command);
  }

  static String run(boolean check, String... command) {
    String line = String.join(" ", command);
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getOutputStream().close();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(line + " did not finish within 15 s");
      }
      String output = new String(process.getInputStream().readAllBytes()).strip();
      if (check && process.exitValue() != 0) {
        throw new IllegalStateException(
            line + " failed (" + process.exitValue() + "): " + output + HOW);
      }
      return output;
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + line + ": " + e.getMessage() + HOW, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + line, e);
    }
  }
}
