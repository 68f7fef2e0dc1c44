package com.mentra.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Node process behind a {@link TestPeer} and its JSON-lines protocol (test-peer/README.md): a
 * request a line on stdin with an {@code id}, its reply a line on stdout with the same id and
 * {@code ok}; lines with {@code event} and no id go to {@link #events}; anything else to the log.
 *
 * <p>Thread-safe: requests from several threads are written whole under the stdin lock and matched
 * to their replies by id on the reader thread. Owns the process; {@link #close} ends it.
 */
final class PeerProcess implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  private final String name;
  private final Path log;
  private final Process process;
  private final OutputStream stdin;
  private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final Thread reader;
  final PeerEvents events;
  private volatile boolean closed;

  PeerProcess(String name, Path log, int maxEvents) {
    TestEnvironment env = TestEnvironment.get();
    this.name = name;
    this.log = log;
    this.events = new PeerEvents(name, log, maxEvents);
    try {
      process =
          ChildProcesses.track(
              new ProcessBuilder(
                      env.node().toString(), env.testPeerDir().resolve("peer.mjs").toString())
                  .directory(env.testPeerDir().toFile())
                  .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                  .start());
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot start the Node test peer " + env.node() + " " + env.testPeerDir(), e);
    }
    stdin = process.getOutputStream();
    reader = Thread.ofPlatform().daemon().name("test-peer-" + name).start(this::readLoop);
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Sends {@code cmd} with {@code args} (anything Jackson turns into a JSON object) and returns the
   * ok reply.
   */
  JsonNode call(String cmd, Object args, Duration timeout) {
    if (closed) throw new IllegalStateException("peer " + name + " is closed");
    long id = ids.incrementAndGet();
    ObjectNode request = JSON.valueToTree(args);
    request.put("id", id);
    request.put("cmd", cmd);
    CompletableFuture<JsonNode> reply = new CompletableFuture<>();
    pending.put(id, reply);
    try {
      String ended = events.ended();
      if (ended != null) throw new IOException(ended);
      synchronized (stdin) {
        stdin.write((JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
      }
      JsonNode response = reply.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!response.path("ok").asBoolean()) {
        throw new IllegalStateException(
            "peer " + name + " " + cmd + " failed: " + response.path("error").asText());
      }
      return response;
    } catch (IOException e) {
      throw new IllegalStateException(
          "peer " + name + " is gone (" + cmd + "): " + e.getMessage() + " (log " + log + ")", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "peer "
              + name
              + ": no reply to "
              + cmd
              + " within "
              + timeout.toMillis()
              + " ms (log "
              + log
              + ")");
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "peer "
              + name
              + " "
              + cmd
              + " failed: "
              + e.getCause().getMessage()
              + " (log "
              + log
              + ")",
          e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for peer " + name + " " + cmd, e);
    } finally {
      pending.remove(id);
    }
  }

  private void readLoop() {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        JsonNode node = null;
        try {
          node = JSON.readTree(line);
        } catch (IOException notJson) {
          // handled below
        }
        if (node != null && node.hasNonNull("id") && node.has("ok")) {
          CompletableFuture<JsonNode> reply = pending.get(node.get("id").asLong());
          if (reply != null) reply.complete(node);
        } else if (node != null && node.has("event") && !node.has("id")) {
          events.add(node);
        } else {
          appendToLog("[stdout, not protocol] " + line);
        }
      }
    } catch (IOException ignored) {
      // The process ended.
    }
    String why;
    try {
      why =
          process.waitFor(2, TimeUnit.SECONDS)
              ? "the peer process exited with " + process.exitValue()
              : "the peer closed its stdout";
    } catch (InterruptedException e) {
      why = "the peer closed its stdout";
    }
    events.end(why);
    String reason = why;
    pending.values().forEach(f -> f.completeExceptionally(new IOException(reason)));
  }

  private void appendToLog(String line) {
    try {
      Files.writeString(log, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException ignored) {
      // Logging is best effort.
    }
  }

  /**
   * Closes the peer's stdin (it leaves and exits), kills it if it is still running after 5 s.
   * Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    try {
      stdin.close(); // not under the write lock: a writer blocked on a full pipe must not block
      // close
    } catch (IOException ignored) {
      // Already closed.
    }
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
      reader.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
