package com.mentra.bridge.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The phones: one lkb-phones process (load/phones, LiveKit's Go SDK) holding every phone
 * participant, driven over its stdin and stdout (see load/phones/main.go).
 */
final class PhoneFleet implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Process process;
  private final Writer commands;
  private final CompletableFuture<JsonNode> ready = new CompletableFuture<>();
  private volatile CompletableFuture<JsonNode> sent = new CompletableFuture<>();
  private volatile CompletableFuture<JsonNode> counted;
  private final AtomicLong sentTotal = new AtomicLong();
  private final AtomicLong sendErrors = new AtomicLong();
  private final AtomicLong disconnects = new AtomicLong();
  final Histogram joinMs = new Histogram();
  final List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());

  /**
   * A listener heard a tone burst: phone index, arrival of its first packet (µs since the epoch),
   * its length in ms.
   */
  interface OnsetListener {
    void onset(int phone, long atMicros, double lengthMs);
  }

  /** {@code onset} receives what the listeners hear. */
  PhoneFleet(
      Path binary,
      String url,
      String apiKey,
      String apiSecret,
      int count,
      int bytes,
      List<Integer> listeners,
      boolean singlePc,
      Path log,
      OnsetListener onset)
      throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                binary.toString(),
                "--url",
                url,
                "--api-key",
                apiKey,
                "--api-secret",
                apiSecret,
                "--count",
                String.valueOf(count),
                "--bytes",
                String.valueOf(bytes),
                "--room-prefix",
                "load-",
                "--identity-prefix",
                "user-",
                "--listen",
                String.join(",", listeners.stream().map(String::valueOf).toList())));
    if (singlePc) command.add("--single-pc");
    process = new ProcessBuilder(command).redirectError(log.toFile()).start();
    commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread.ofPlatform()
        .name("phones-events")
        .daemon()
        .start(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                  JsonNode ev;
                  try {
                    ev = JSON.readTree(line);
                  } catch (IOException notJson) {
                    continue;
                  }
                  switch (ev.path("ev").asText()) {
                    case "joined" -> joinMs.record(Math.round(ev.path("ms").asDouble() * 1000));
                    case "join_failed" ->
                        problems.add(
                            "phone "
                                + ev.path("i").asInt()
                                + " did not join: "
                                + ev.path("error").asText());
                    case "ready" -> ready.complete(ev);
                    case "count" -> {
                      sentTotal.set(ev.path("sent").asLong());
                      sendErrors.set(ev.path("errors").asLong());
                      CompletableFuture<JsonNode> waiting = counted;
                      if (waiting != null) waiting.complete(ev);
                    }
                    case "onset" ->
                        onset.onset(
                            ev.path("i").asInt(), ev.path("at").asLong(), ev.path("ms").asDouble());
                    case "disconnected" -> {
                      disconnects.incrementAndGet();
                      problems.add(
                          "phone "
                              + ev.path("i").asInt()
                              + " disconnected: "
                              + ev.path("reason").asText());
                    }
                    case "sent" -> sent.complete(ev);
                    default -> {}
                  }
                }
              } catch (IOException ended) {
                // the process ended
              }
              ready.completeExceptionally(new IOException("lkb-phones ended; see its log"));
              sent.completeExceptionally(new IOException("lkb-phones ended; see its log"));
            });
  }

  /** Waits until every phone has joined (or failed to); returns the ready event. */
  JsonNode awaitReady(long timeoutSeconds) throws Exception {
    return ready.get(timeoutSeconds, TimeUnit.SECONDS);
  }

  void startSending(double pps) throws IOException {
    sent = new CompletableFuture<>();
    command("send " + pps);
  }

  /**
   * Stops sending; returns packets sent per phone (-1 for a phone that never joined) and send
   * errors.
   */
  long[][] stopSending() throws Exception {
    command("stop");
    JsonNode ev = sent.get(60, TimeUnit.SECONDS);
    long[] counts = new long[ev.path("counts").size()];
    long[] errors = new long[counts.length];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = ev.path("counts").get(i).asLong();
      errors[i] = ev.path("errors").get(i).asLong();
    }
    return new long[][] {counts, errors};
  }

  /**
   * Packets all phones have sent so far, asked now (the last known count if they do not answer
   * within 2 s).
   */
  synchronized long sentTotal() {
    CompletableFuture<JsonNode> waiting = new CompletableFuture<>();
    counted = waiting;
    try {
      command("count");
      waiting.get(2, TimeUnit.SECONDS);
    } catch (Exception slowOrGone) {
      // keep the last count
    } finally {
      counted = null;
    }
    return sentTotal.get();
  }

  long sendErrors() {
    return sendErrors.get();
  }

  long disconnects() {
    return disconnects.get();
  }

  long pid() {
    return process.pid();
  }

  private synchronized void command(String line) throws IOException {
    commands.write(line + "\n");
    commands.flush();
  }

  @Override
  public void close() throws InterruptedException {
    try {
      command("quit");
    } catch (IOException gone) {
      // already ended
    }
    if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
  }
}
