package com.mentra.bridge.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import com.mentra.bridge.api.AudioChunk;
import com.mentra.bridge.api.SessionStats;
import com.mentra.bridge.core.Closing;
import com.mentra.bridge.dsp.AudioClock;
import com.mentra.bridge.dsp.Pcm16;
import com.mentra.livekit.rtc.AudioFrame;
import com.mentra.livekit.rtc.AudioSubscription;
import com.mentra.livekit.rtc.ConnectionState;
import com.mentra.livekit.rtc.DataPacket;
import com.mentra.livekit.rtc.Room;
import com.mentra.livekit.rtc.RoomConnectException;
import com.mentra.livekit.rtc.RoomListener;
import com.mentra.livekit.rtc.RoomOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One user's presence in one LiveKit room: the participant, the room-to-client queue, the
 * client-to-room track and playback. Created by {@link SessionRegistry}; {@link #close()} is
 * idempotent and serialized. Thread-safe.
 */
final class BridgeSession implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BridgeSession.class);
  static final int DOWNLINK_RATE = 16_000;

  /** Microphone audio is forwarded in 100 ms chunks, the size the phone's data packets have. */
  private static final int MIC_CHUNK_SAMPLES = DOWNLINK_RATE / 10;

  final String userId;
  final String roomName;
  final String targetIdentity;
  private final DownlinkQueue downlink;
  private final PhonePackets phonePackets = new PhonePackets();
  private final AtomicLong forwardedPackets = new AtomicLong();
  private final AtomicLong chunksFromClient = new AtomicLong();
  private final AtomicLong bytesFromClient = new AtomicLong();
  private final long startedAtMillis = System.currentTimeMillis();

  /** Last call or stream event for this user ({@link System#nanoTime()}): the idle lease. */
  private volatile long lastActivityNanos = System.nanoTime();

  private volatile Room room;
  private volatile ConnectionState state = ConnectionState.CONNECTING;
  private final BridgeMetrics metrics;
  private volatile long lastDisconnectAt;
  private volatile String lastDisconnectReason = "";
  private final Map<Integer, UplinkPublisher> uplinks = new HashMap<>();
  private AudioClock clock;
  private Executor blocking;
  private BridgeConfig config;
  private AudioSubscription microphone;
  private PlayAudioHandler playAudio;
  private short[] micChunk = new short[MIC_CHUNK_SAMPLES];
  private int micFill;
  private boolean closed;

  private BridgeSession(
      String userId,
      String roomName,
      String targetIdentity,
      int downlinkCapacity,
      BridgeMetrics metrics) {
    this.userId = userId;
    this.roomName = roomName;
    this.targetIdentity = targetIdentity == null ? "" : targetIdentity;
    this.metrics = metrics;
    this.downlink =
        new DownlinkQueue(downlinkCapacity, metrics::downlinkDropped, metrics::downlinkLatency);
  }

  /** Joins the room; blocks up to the connect timeout. */
  static BridgeSession join(
      JoinParams params,
      BridgeConfig config,
      AudioClock clock,
      Executor blocking,
      PlayAudioHandlerFactory playAudioFactory,
      BridgeMetrics metrics)
      throws RoomConnectException, InterruptedException {
    BridgeSession session =
        new BridgeSession(
            params.userId(),
            params.roomName(),
            params.targetIdentity(),
            config.downlinkQueueChunks(),
            metrics);
    RoomOptions.Builder options = RoomOptions.builder();
    if (params.subscribeTargetAudio() && !session.targetIdentity.isEmpty()) {
      options.audioSubscriptions(Set.of(session.targetIdentity));
    } else {
      options.autoSubscribe(false).audioSubscriptions(Set.of());
    }
    Room room = Room.connect(params.url(), params.token(), options.build(), session.new Listener());
    try {
      synchronized (session) {
        session.room = room;
        session.state = room.connectionState();
        session.clock = clock;
        session.blocking = blocking;
        session.config = config;
        session.playAudio = playAudioFactory.create(session, room);
        if (params.subscribeTargetAudio() && !session.targetIdentity.isEmpty()) {
          session.microphone =
              room.receiveAudio(
                  session.targetIdentity, DOWNLINK_RATE, 1, session::onMicrophoneFrame);
        }
      }
      return session;
    } catch (RuntimeException e) {
      session.close(); // releases the room and whatever was set up
      throw e;
    }
  }

  /** What JoinRoom asked for, with URL and token already resolved. */
  record JoinParams(
      String userId,
      String roomName,
      String url,
      String token,
      String targetIdentity,
      boolean subscribeTargetAudio) {}

  DownlinkQueue downlink() {
    return downlink;
  }

  /**
   * The client-to-room publisher for {@code trackId} (AudioChunk.track_id), created on first use;
   * null once the session is closed. Each track id is its own published track.
   */
  synchronized UplinkPublisher uplink(int trackId) {
    if (closed || room == null) return null;
    return uplinks.computeIfAbsent(
        trackId,
        id ->
            new UplinkPublisher(
                room,
                TrackNames.uplink(id),
                clock,
                blocking,
                config.uplinkBufferMs(),
                config.uplinkPrebufferMs(),
                metrics::uplinkLatency));
  }

  /** Restarts the idle lease (any call or stream event of the user). */
  void touch() {
    lastActivityNanos = System.nanoTime();
  }

  long idleNanos() {
    return System.nanoTime() - lastActivityNanos;
  }

  /** Counts a chunk the client sent (SessionStats). */
  void countFromClient(int bytes) {
    chunksFromClient.incrementAndGet();
    bytesFromClient.addAndGet(bytes);
  }

  /** The session's PlayAudio/StopAudio handler. */
  synchronized PlayAudioHandler playAudio() {
    return playAudio;
  }

  Room room() {
    return room;
  }

  ConnectionState state() {
    return state;
  }

  long lastDisconnectAt() {
    return lastDisconnectAt;
  }

  String lastDisconnectReason() {
    return lastDisconnectReason;
  }

  /** Phone data packets that never arrived, from gaps in their sequence numbers. */
  long phonePacketsLost() {
    return phonePackets.lost();
  }

  /** The bridge's identity in the room. */
  String identity() {
    Room r = room;
    return r == null ? "" : r.localIdentity();
  }

  SessionStats stats() {
    return SessionStats.newBuilder()
        .setUserId(userId)
        .setRoomName(roomName)
        .setAudioFramesSent(downlink.sent())
        .setBytesSent(downlink.sentBytes())
        .setAudioFramesReceived(chunksFromClient.get())
        .setBytesReceived(bytesFromClient.get())
        .setSessionDurationMs(System.currentTimeMillis() - startedAtMillis)
        .setParticipantCount(participantCount())
        .build();
  }

  long forwardedPackets() {
    return forwardedPackets.get();
  }

  int participantCount() {
    Room r = room;
    return r == null ? 0 : r.remoteParticipants().size() + 1;
  }

  private synchronized boolean closed() {
    return closed;
  }

  @Override
  public void close() {
    List<UplinkPublisher> u;
    AudioSubscription mic;
    PlayAudioHandler p;
    Room r;
    synchronized (this) {
      if (closed) return;
      closed = true;
      u = new ArrayList<>(uplinks.values());
      uplinks.clear();
      mic = microphone;
      p = playAudio;
      r = room;
    }
    try (var ignored = MDC.putCloseable("user_id", userId);
        var ignored2 = MDC.putCloseable("room", roomName)) {
      // Each part on its own: one that throws must not leave the room (and its two native peer
      // connections) behind, with `closed` already set and no second chance.
      Closing.quietly(log, "playback", p);
      Closing.quietly(log, "microphone subscription", mic);
      for (UplinkPublisher publisher : u) Closing.quietly(log, "uplink track", publisher);
      Closing.quietly(log, "downlink", downlink::close);
      Closing.quietly(log, "room", r);
      log.info("session closed");
    }
  }

  private void onMicrophoneFrame(AudioFrame frame) {
    short[] samples = frame.samples();
    int offset = 0;
    while (offset < samples.length) {
      int n = Math.min(samples.length - offset, MIC_CHUNK_SAMPLES - micFill);
      System.arraycopy(samples, offset, micChunk, micFill, n);
      micFill += n;
      offset += n;
      if (micFill == MIC_CHUNK_SAMPLES) {
        byte[] bytes = new byte[MIC_CHUNK_SAMPLES * Pcm16.BYTES];
        Pcm16.encode(micChunk, 0, MIC_CHUNK_SAMPLES, bytes, 0);
        micFill = 0;
        downlink.offer(
            chunk(UnsafeByteOperations.unsafeWrap(bytes), AudioChunk.Source.MICROPHONE),
            System.nanoTime());
      }
    }
  }

  /**
   * @param pcm never changed afterwards: the chunk shares it (no copy per packet)
   */
  private AudioChunk chunk(ByteString pcm, AudioChunk.Source source) {
    return AudioChunk.newBuilder()
        .setPcmData(pcm)
        .setSource(source)
        .setSampleRate(DOWNLINK_RATE)
        .setChannels(1)
        .setTimestampMs(System.currentTimeMillis())
        .setUserId(userId)
        .build();
  }

  /** Room events, one at a time on the room's callback executor. */
  private final class Listener implements RoomListener {
    @Override
    public void onDataReceived(DataPacket packet) {
      if (!targetIdentity.isEmpty() && !targetIdentity.equals(packet.senderIdentity())) return;
      long lostBefore = phonePackets.lost();
      ByteString pcm = phonePackets.pcm(packet.payload());
      long newlyLost = phonePackets.lost() - lostBefore;
      if (newlyLost > 0) metrics.phonePacketsLost(newlyLost);
      if (pcm.isEmpty()) return;
      forwardedPackets.incrementAndGet();
      downlink.offer(chunk(pcm, AudioChunk.Source.DATA_PACKET), packet.receivedAtNanos());
    }

    @Override
    public void onConnectionStateChanged(ConnectionState newState, String reason) {
      ConnectionState previous = state;
      state = newState;
      // A failed join's DISCONNECTED is a join failure, and a leave's is no loss: neither counts.
      if (newState == ConnectionState.RECONNECTING) metrics.roomConnectionEvent("reconnecting");
      else if (newState == ConnectionState.CONNECTED && previous == ConnectionState.RECONNECTING)
        metrics.roomConnectionEvent("recovered");
      else if (newState == ConnectionState.DISCONNECTED && room != null && !closed())
        metrics.roomConnectionEvent("lost");
      try (var ignored = MDC.putCloseable("user_id", userId);
          var ignored2 = MDC.putCloseable("room", roomName)) {
        if (newState == ConnectionState.RECONNECTING || newState == ConnectionState.DISCONNECTED) {
          lastDisconnectAt = System.currentTimeMillis();
          lastDisconnectReason = reason;
          if (closed()) log.info("room connection {}: {}", newState, reason);
          else log.warn("room connection {}: {}", newState, reason);
        } else {
          log.info("room connection {}: {}", newState, reason);
        }
      }
    }
  }
}
