package com.mentra.bridge.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged bridge (bridge-server/target/bridge-server-*.jar and target/lib), started the way
 * scripts/run.sh and the TypeScript end-to-end tests start it, as a process of its own so /proc
 * shows its costs alone.
 */
final class BridgeProcess implements AutoCloseable {
  final String address;
  final Path log;
  private final Process process;

  BridgeProcess(
      Path java, Path jar, List<String> javaOpts, Map<String, String> env, String address, Path log)
      throws IOException, InterruptedException {
    this.address = address;
    this.log = log;
    if (!Files.isRegularFile(jar))
      throw new IOException(
          jar
              + " is missing: build it with 'mvn -B -ntp -DskipTests package' (scripts/load.sh does)");
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.addAll(javaOpts);
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("-cp");
    command.add(jar + ":" + jar.getParent().resolve("lib") + "/*");
    command.add("com.mentra.bridge.server.BridgeMain");
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    process = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive())
        throw new IOException(
            "the bridge exited with " + process.exitValue() + ":\n" + Files.readString(log));
      if (Files.readString(log).contains("LiveKit bridge ready")) return;
      Thread.sleep(100);
    }
    process.destroyForcibly();
    throw new IOException("the bridge was not ready within 60 s; see " + log);
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process.isAlive();
  }

  /** SIGTERM, as an orchestrator stops it; SIGKILL after 30 s. Returns the exit code. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
  }
}
