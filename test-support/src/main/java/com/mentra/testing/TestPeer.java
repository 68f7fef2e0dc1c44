package com.mentra.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The independent participant: {@code test-peer/peer.mjs} on LiveKit's own Node SDK
 * ({@code @livekit/rtc-node}), driven over JSON lines on its stdin/stdout (protocol in {@code
 * test-peer/README.md}). Every call waits with a timeout and throws {@link IllegalStateException}
 * on an error reply, a timeout or a dead process. Events are kept in a bounded buffer (the oldest
 * are dropped beyond {@value #MAX_EVENTS}, see {@link #droppedEvents()}). The peer's stderr goes to
 * {@link #logFile()}. The audio commands (publish, record) are in {@link PeerAudioCommands}.
 *
 * <p>Thread-safe: calls may come from several threads and run concurrently in the peer. Owns the
 * Node process; {@link #close()} ends it (killing it after 5 s) and is idempotent.
 */
public final class TestPeer implements PeerAudioCommands, AutoCloseable {
  /** How many events the buffer keeps. */
  public static final int MAX_EVENTS = 100_000;

  /** The wait of every call that takes no explicit timeout. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);

  /** A data packet the peer received; {@code kind} is "reliable" or "lossy". */
  public record ReceivedData(
      String from, String topic, String kind, byte[] payload, long receivedAtMs) {
    public boolean reliable() {
      return "reliable".equals(kind);
    }
  }

  /** A data packet for the peer to send; empty {@code destinations} means everyone. */
  public record OutgoingData(
      byte[] payload, boolean reliable, String topic, List<String> destinations) {
    public OutgoingData {
      destinations = destinations == null ? List.of() : List.copyOf(destinations);
    }

    public static OutgoingData reliable(byte[] payload, String topic) {
      return new OutgoingData(payload, true, topic, List.of());
    }

    public static OutgoingData lossy(byte[] payload, String topic) {
      return new OutgoingData(payload, false, topic, List.of());
    }
  }

  /**
   * What {@link #stopRecording()} reports. {@code samples} counts interleaved samples (frames times
   * channels). The *AtMs fields are the peer's wall clock (ms since the epoch, 0 if never) when
   * frames arrived: the first frame, and the first and last frames louder than -40 dBFS. {@code
   * gapFilledMs} is silence written for time between two recorded tracks, when no track delivered
   * frames. {@code loudRuns}: each sound's arrival and end (see {@link LoudRun}).
   */
  public record Recording(
      Path path,
      long samples,
      int sampleRate,
      long firstFrameAtMs,
      long firstLoudAtMs,
      long lastLoudAtMs,
      int channels,
      String identity,
      long gapFilledMs,
      List<LoudRun> loudRuns) {
    /** The recorded audio. */
    public Wav.Audio read() {
      try {
        return Wav.read(path);
      } catch (IOException e) {
        throw new IllegalStateException("cannot read the recording " + path, e);
      }
    }
  }

  /**
   * A run of frames above -40 dBFS, separated from the next by at least 300 ms of recorded audio:
   * one sound as the peer received it. {@code *AtMs}: the peer's wall clock when its first and last
   * loud frames arrived; {@code *Sample}: where they are in the recording (interleaved samples, end
   * exclusive).
   */
  public record LoudRun(long startAtMs, long endAtMs, long startSample, long endSample) {}

  /** What {@code join} answered: the peer's own identity and sid, and who was already there. */
  public record Joined(String identity, String sid, List<String> participants) {}

  /** A remote participant as the peer sees it. */
  public record RemoteParticipant(String identity, String sid, List<RemoteTrack> tracks) {}

  /**
   * A remote track publication: kind "audio"/"video", source "microphone", "screen_share_audio",
   * ...
   */
  public record RemoteTrack(
      String sid, String name, String kind, String source, boolean muted, boolean subscribed) {}

  private final String name;
  private final Path log;
  private final PeerProcess process;
  private volatile Joined joined;

  private TestPeer(String name) {
    this.name = name;
    this.log =
        TestEnvironment.outputDir("peers")
            .resolve(name.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + System.nanoTime() + ".log");
    this.process = new PeerProcess(name, log, MAX_EVENTS);
    try {
      awaitEvent("ready", e -> true, Duration.ofSeconds(20));
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Starts a peer process (not yet in a room). */
  public static TestPeer start(String name) {
    return new TestPeer(name);
  }

  /** Starts a peer and joins {@code url} with {@code token}, subscribing to every track. */
  public static TestPeer join(String name, String url, String token) {
    return join(name, url, token, true);
  }

  /**
   * Starts a peer and joins; without auto-subscribe it decodes no one's audio (cheap in load
   * tests).
   */
  public static TestPeer join(String name, String url, String token, boolean autoSubscribe) {
    TestPeer peer = start(name);
    try {
      peer.joinRoom(url, token, autoSubscribe);
      return peer;
    } catch (RuntimeException e) {
      peer.close();
      throw e;
    }
  }

  /** Joins a room (once per peer). */
  public Joined joinRoom(String url, String token, boolean autoSubscribe) {
    JsonNode r =
        call(
            "join",
            Map.of("url", url, "token", token, "autoSubscribe", autoSubscribe),
            DEFAULT_TIMEOUT);
    Joined j = PeerJson.joined(r);
    joined = j;
    return j;
  }

  /** The name given at start (used for the log file and thread). */
  public String name() {
    return name;
  }

  /** The identity the server gave this peer, once joined. */
  public String identity() {
    return requireJoined().identity();
  }

  /** The participant sid, once joined. */
  public String sid() {
    return requireJoined().sid();
  }

  /** The peer's stderr (its own and the SDK's logs). */
  public Path logFile() {
    return log;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Identities of the remote participants the peer sees now. */
  public List<String> participantIdentities() {
    return remoteParticipants().stream().map(RemoteParticipant::identity).toList();
  }

  /** The remote participants with their tracks, as the peer's JSON describes them. */
  public JsonNode participants() {
    return call("participants", Map.of(), DEFAULT_TIMEOUT).get("participants");
  }

  /** The remote participants with their track publications. */
  public List<RemoteParticipant> remoteParticipants() {
    return PeerJson.remoteParticipants(participants());
  }

  /** Sends packets in order, each awaited by the SDK; returns how many were sent. */
  public int sendData(List<OutgoingData> packets) {
    return sendData(packets, 0);
  }

  /**
   * Sends packets in order, {@code intervalMs} apart, and returns when all were handed to the SDK.
   */
  public int sendData(List<OutgoingData> packets, int intervalMs) {
    return sendData(packets, intervalMs, -1);
  }

  /**
   * Like {@link #sendData(List, int)}, and the peer writes each packet's send time into it just
   * before sending: microseconds since the epoch, int64 big-endian at byte {@code stampAt} (-1: no
   * stamp). Receivers on this machine read it with {@link #sentAtMicros(byte[], int)}.
   */
  public int sendData(List<OutgoingData> packets, int intervalMs, int stampAt) {
    ObjectNode args = PeerJson.sendDataArgs(packets, intervalMs, stampAt);
    long budget = DEFAULT_TIMEOUT.toMillis() + (long) packets.size() * (intervalMs + 50L);
    return call("sendData", args, Duration.ofMillis(budget)).path("count").asInt();
  }

  /**
   * The send time the peer stamped into {@code payload} (see {@link #sendData(List, int, int)}).
   */
  public static long sentAtMicros(byte[] payload, int stampAt) {
    return java.nio.ByteBuffer.wrap(payload, stampAt, 8).getLong();
  }

  /** Wall-clock microseconds since the epoch, comparable with {@link #sentAtMicros}. */
  public static long nowMicros() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  /** Unpublishes and leaves the room; the process stays until {@link #close()}. */
  public void leave() {
    call("leave", Map.of(), DEFAULT_TIMEOUT);
  }

  /** Data packets received so far (of those still buffered), in arrival order. */
  public List<ReceivedData> receivedData() {
    return process.events.awaitMatching(
        Integer.MAX_VALUE,
        PeerJson::receivedData,
        d -> true,
        Duration.ZERO); // no wait: what is buffered now
  }

  /**
   * Waits until {@code count} data packets have arrived; returns what arrived by then (maybe
   * fewer).
   */
  public List<ReceivedData> awaitData(int count, Duration timeout) {
    return awaitData(count, d -> true, timeout);
  }

  /**
   * Waits until {@code count} data packets matching {@code filter} have arrived; returns those
   * (maybe fewer).
   */
  public List<ReceivedData> awaitData(int count, Predicate<ReceivedData> filter, Duration timeout) {
    return process.events.awaitMatching(count, PeerJson::receivedData, filter, timeout);
  }

  /**
   * Waits for an event named {@code type} matching {@code filter} (already buffered or new); throws
   * on timeout.
   */
  @Override
  public JsonNode awaitEvent(String type, Predicate<JsonNode> filter, Duration timeout) {
    return process.events.await(
        e -> type.equals(e.path("event").asText()) && filter.test(e),
        timeout,
        "'" + type + "' event");
  }

  /** Waits for any event matching {@code filter} (already buffered or new); throws on timeout. */
  public JsonNode awaitEvent(Predicate<JsonNode> filter, Duration timeout) {
    return process.events.await(filter, timeout, "matching event");
  }

  /** Whether an event of that type matching {@code filter} is in the buffer. */
  public boolean hasEvent(String type, Predicate<JsonNode> filter) {
    return process.events.any(e -> type.equals(e.path("event").asText()) && filter.test(e));
  }

  /** A snapshot of the buffered events, oldest first. */
  public List<JsonNode> events() {
    return process.events.snapshot();
  }

  /** How many old events the bounded buffer has dropped. */
  public long droppedEvents() {
    return process.events.dropped();
  }

  /**
   * Sends a raw command ({@code args} is anything Jackson turns into a JSON object) and returns the
   * ok reply; for commands without a typed method.
   */
  @Override
  public JsonNode call(String cmd, Object args, Duration timeout) {
    return process.call(cmd, args, timeout);
  }

  /**
   * Closes the peer's stdin (it leaves and exits), kills it if it is still running after 5 s.
   * Idempotent.
   */
  @Override
  public void close() {
    process.close();
  }

  private Joined requireJoined() {
    Joined j = joined;
    if (j == null) throw new IllegalStateException("peer " + name + " has not joined");
    return j;
  }
}
