package com.mentra.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * The independent participant: {@code test-peer/peer.mjs} on LiveKit's own Node SDK, driven over
 * JSON lines. Every call waits with a timeout. Events are kept in a bounded buffer. Thread-safe;
 * owns the Node process, which {@link #close()} ends.
 */
public final class TestPeer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_EVENTS = 100_000;
  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);

  /** A data packet the peer received. */
  public record ReceivedData(String from, String topic, String kind, byte[] payload, long receivedAtMs) {}

  /** A data packet for the peer to send. */
  public record OutgoingData(byte[] payload, boolean reliable, String topic, List<String> destinations) {
    public static OutgoingData reliable(byte[] payload, String topic) {
      return new OutgoingData(payload, true, topic, List.of());
    }

    public static OutgoingData lossy(byte[] payload, String topic) {
      return new OutgoingData(payload, false, topic, List.of());
    }
  }

  /**
   * What {@link #stopRecording()} reports. The *AtMs fields are the peer's wall clock when frames
   * arrived: the first frame, and the first and last frames louder than -40 dBFS.
   */
  public record Recording(Path path, long samples, int sampleRate, long firstFrameAtMs, long firstLoudAtMs, long lastLoudAtMs) {}

  private final Process process;
  private final OutputStream stdin;
  private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final List<JsonNode> events = new ArrayList<>();
  private final AtomicLong ids = new AtomicLong();
  private final Thread reader;
  private final String name;

  private TestPeer(String name) {
    TestEnvironment env = TestEnvironment.get();
    this.name = name;
    Path log = TestEnvironment.outputDir("peers").resolve(name + "-" + System.nanoTime() + ".log");
    try {
      process = new ProcessBuilder(env.node().toString(), env.testPeerDir().resolve("peer.mjs").toString())
          .directory(env.testPeerDir().toFile())
          .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the Node test peer", e);
    }
    stdin = process.getOutputStream();
    reader = Thread.ofPlatform().daemon().name("test-peer-" + name).start(this::readLoop);
    awaitEvent("ready", e -> true, Duration.ofSeconds(20));
  }

  /** Starts a peer process (not yet in a room). */
  public static TestPeer start(String name) {
    return new TestPeer(name);
  }

  /** Starts a peer and joins {@code url} with {@code token}. */
  public static TestPeer join(String name, String url, String token) {
    TestPeer peer = start(name);
    try {
      peer.call("join", Map.of("url", url, "token", token), DEFAULT_TIMEOUT);
      return peer;
    } catch (RuntimeException e) {
      peer.close();
      throw e;
    }
  }

  /** Identities of the remote participants the peer sees now. */
  public List<String> participantIdentities() {
    List<String> identities = new ArrayList<>();
    for (JsonNode p : call("participants", Map.of(), DEFAULT_TIMEOUT).get("participants")) identities.add(p.get("identity").asText());
    return identities;
  }

  /** The remote participants with their tracks, as the peer's JSON describes them. */
  public JsonNode participants() {
    return call("participants", Map.of(), DEFAULT_TIMEOUT).get("participants");
  }

  /** Sends packets in order, {@code intervalMs} apart, and returns when all were handed to the SDK. */
  public void sendData(List<OutgoingData> packets, int intervalMs) {
    ArrayNode array = JSON.createArrayNode();
    for (OutgoingData p : packets) {
      ObjectNode node = array.addObject();
      node.put("payloadB64", Base64.getEncoder().encodeToString(p.payload()));
      node.put("reliable", p.reliable());
      if (p.topic() != null) node.put("topic", p.topic());
      ArrayNode destinations = node.putArray("destinations");
      p.destinations().forEach(destinations::add);
    }
    ObjectNode args = JSON.createObjectNode();
    args.set("packets", array);
    args.put("intervalMs", intervalMs);
    long budget = DEFAULT_TIMEOUT.toMillis() + (long) packets.size() * (intervalMs + 50L);
    call("sendData", args, Duration.ofMillis(budget));
  }

  /** Publishes a WAV file (16-bit PCM) in real time as a microphone track; returns its sid. */
  public String publishWav(Path wav, String trackName) {
    return call("publishWav", Map.of("path", wav.toAbsolutePath().toString(), "name", trackName), DEFAULT_TIMEOUT).get("trackSid").asText();
  }

  /** Publishes a generated sine tone in real time; returns the track sid. */
  public String publishTone(double frequency, int sampleRate, int amplitude, long durationMs) {
    return call("publishTone", Map.of("frequency", frequency, "sampleRate", sampleRate, "channels", 1,
        "amplitude", amplitude, "durationMs", durationMs, "name", "peer-tone"), DEFAULT_TIMEOUT).get("trackSid").asText();
  }

  public void unpublish() {
    call("unpublish", Map.of(), DEFAULT_TIMEOUT);
  }

  /** Records the first (or {@code identity}'s) remote audio track to {@code wav}, now or once subscribed. */
  public void record(String identity, Path wav, int sampleRate) {
    ObjectNode args = JSON.createObjectNode();
    if (identity != null) args.put("identity", identity);
    args.put("path", wav.toAbsolutePath().toString());
    args.put("sampleRate", sampleRate);
    args.put("channels", 1);
    call("record", args, DEFAULT_TIMEOUT);
  }

  public Recording stopRecording() {
    JsonNode r = call("stopRecording", Map.of(), DEFAULT_TIMEOUT);
    return new Recording(Path.of(r.get("path").asText()), r.get("samples").asLong(), r.get("sampleRate").asInt(),
        r.get("firstFrameAtMs").asLong(), r.get("firstLoudAtMs").asLong(), r.get("lastLoudAtMs").asLong());
  }

  public void leave() {
    call("leave", Map.of(), DEFAULT_TIMEOUT);
  }

  /** Data packets received so far, in arrival order. */
  public List<ReceivedData> receivedData() {
    List<ReceivedData> data = new ArrayList<>();
    synchronized (events) {
      for (JsonNode e : events) {
        if ("data".equals(e.path("event").asText())) {
          data.add(new ReceivedData(e.get("from").asText(), e.get("topic").asText(), e.get("kind").asText(),
              Base64.getDecoder().decode(e.get("payloadB64").asText()), e.get("receivedAtMs").asLong()));
        }
      }
    }
    return data;
  }

  /** Waits for a data packet count; returns what arrived by then. */
  public List<ReceivedData> awaitData(int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<ReceivedData> data = receivedData();
    while (data.size() < count && System.nanoTime() < deadline) {
      sleep(50);
      data = receivedData();
    }
    return data;
  }

  /** Waits for an event named {@code type} matching {@code filter}; throws on timeout. */
  public JsonNode awaitEvent(String type, Predicate<JsonNode> filter, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (events) {
      while (true) {
        for (JsonNode e : events) {
          if (type.equals(e.path("event").asText()) && filter.test(e)) return e;
        }
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) throw new IllegalStateException("peer " + name + ": no '" + type + "' event within " + timeout.toMillis() + " ms");
        try {
          events.wait(left);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(ie);
        }
      }
    }
  }

  /** Whether an event of that type matching {@code filter} has arrived. */
  public boolean hasEvent(String type, Predicate<JsonNode> filter) {
    synchronized (events) {
      for (JsonNode e : events) if (type.equals(e.path("event").asText()) && filter.test(e)) return true;
    }
    return false;
  }

  private JsonNode call(String cmd, Object args, Duration timeout) {
    long id = ids.incrementAndGet();
    ObjectNode request = JSON.valueToTree(args);
    request.put("id", id);
    request.put("cmd", cmd);
    CompletableFuture<JsonNode> reply = new CompletableFuture<>();
    pending.put(id, reply);
    try {
      synchronized (stdin) {
        stdin.write((JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
      }
      JsonNode response = reply.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!response.path("ok").asBoolean()) throw new IllegalStateException("peer " + name + " " + cmd + " failed: " + response.path("error").asText());
      return response;
    } catch (IOException e) {
      throw new IllegalStateException("peer " + name + " is gone (" + cmd + ")", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("peer " + name + ": no reply to " + cmd + " within " + timeout.toMillis() + " ms");
    } catch (ExecutionException e) {
      throw new IllegalStateException("peer " + name + " " + cmd + " failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      pending.remove(id);
    }
  }

  private void readLoop() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (IOException notJson) {
          continue;
        }
        if (node.has("id") && !node.get("id").isNull()) {
          CompletableFuture<JsonNode> reply = pending.get(node.get("id").asLong());
          if (reply != null) reply.complete(node);
        } else if (node.has("event")) {
          synchronized (events) {
            if (events.size() < MAX_EVENTS) events.add(node);
            events.notifyAll();
          }
        }
        // Anything else is the SDK's own logging on stdout.
      }
    } catch (IOException ignored) {
      // Process ended.
    }
    pending.values().forEach(f -> f.completeExceptionally(new IOException("peer process ended")));
  }

  @Override
  public void close() {
    try {
      stdin.close();
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

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
