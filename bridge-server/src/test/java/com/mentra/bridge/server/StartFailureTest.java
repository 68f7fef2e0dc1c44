package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bridge that cannot bind fails and leaves nothing running: before, the Unix socket listener's
 * event loops (not daemon threads) outlived the failed start and kept the process alive, so a bad
 * socket path was a hung process instead of an exit an orchestrator restarts.
 */
class StartFailureTest {
  @TempDir Path dir;

  @Test
  void aSocketPathThatCannotBeBoundFailsAndLeavesNoThreadRunning() throws Exception {
    Path directory = Files.createDirectory(dir.resolve("not-a-socket"));
    Set<Thread> before = nonDaemonThreads();
    BridgeConfig config =
        BridgeConfig.from(
            Map.of(
                "LIVEKIT_GRPC_SOCKET", directory.toString(),
                "METRICS_PORT", "0",
                "LIVEKIT_API_KEY", "key",
                "LIVEKIT_API_SECRET", "a-secret-long-enough-for-livekit-tokens"));

    assertThatThrownBy(() -> new BridgeServer(config).start())
        .isInstanceOf(IOException.class)
        .hasMessageContaining(directory.toString());

    // Netty's event loops end after a quiet period of 2 s.
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    Set<Thread> left = nonDaemonThreads();
    left.removeAll(before);
    while (!left.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(100);
      left = nonDaemonThreads();
      left.removeAll(before);
    }
    assertThat(left.stream().map(Thread::getName).sorted().toList())
        .as("non-daemon threads left by the failed start")
        .isEmpty();
  }

  private static Set<Thread> nonDaemonThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && !t.isDaemon())
        .collect(Collectors.toSet());
  }
}
