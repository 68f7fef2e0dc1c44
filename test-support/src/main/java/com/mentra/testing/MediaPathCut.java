package com.mentra.testing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Cuts a livekit-server's media path while its signalling stays up: iptables rules in the test
 * namespace drop all UDP (the RTC port range) and the server's ICE/TCP port, both ways. Peer
 * connections then fail their ICE checks as they would when a phone walks out of Wi-Fi. The kernel
 * here has no {@code sch_netem}, so iptables is the impairment tool.
 *
 * <p>Only usable inside the test namespace (the rules apply to the whole namespace, so to every
 * participant of every server in it). {@link #close()} removes the rules and is idempotent. Not
 * thread-safe; one owner.
 */
public final class MediaPathCut implements AutoCloseable {
  private final List<List<String>> rules = new ArrayList<>();
  private final List<List<String>> inserted = new ArrayList<>();

  private MediaPathCut(int iceTcpPort) {
    String port = String.valueOf(iceTcpPort);
    rules.add(List.of("INPUT", "-p", "udp", "-j", "DROP"));
    rules.add(List.of("INPUT", "-p", "tcp", "--dport", port, "-j", "DROP"));
    rules.add(List.of("INPUT", "-p", "tcp", "--sport", port, "-j", "DROP"));
  }

  /** Drops {@code server}'s media from now until {@link #close()}. */
  public static MediaPathCut of(LiveKitServerProcess server) {
    TestEnvironment.get(); // refuses to run outside the test namespace
    MediaPathCut cut = new MediaPathCut(server.basePort() + 1);
    try {
      for (List<String> rule : cut.rules) {
        iptables("-I", rule);
        cut.inserted.add(rule);
      }
    } catch (RuntimeException e) {
      cut.close();
      throw e;
    }
    return cut;
  }

  @Override
  public void close() {
    RuntimeException failure = null;
    while (!inserted.isEmpty()) {
      try {
        iptables("-D", inserted.remove(inserted.size() - 1));
      } catch (RuntimeException e) {
        if (failure == null) failure = e; // keep removing the others
      }
    }
    if (failure != null) throw failure;
  }

  private static void iptables(String action, List<String> rule) {
    List<String> command = new ArrayList<>(List.of("iptables", "-w", "5", action));
    command.addAll(rule);
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not finish within 10 s");
      }
      String output = new String(process.getInputStream().readAllBytes()).strip();
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            String.join(" ", command)
                + " failed ("
                + process.exitValue()
                + "): "
                + output
                + " (scripts/test.sh installs iptables)");
      }
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot run iptables (scripts/test.sh installs it): " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running iptables", e);
    }
  }
}
