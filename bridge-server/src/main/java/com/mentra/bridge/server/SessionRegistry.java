package com.mentra.bridge.server;

import com.mentra.bridge.audio.AudioClock;
import com.mentra.livekit.rtc.RoomConnectException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions, keyed by user id. Joining for a user who has a session replaces it: the old one
 * is closed first, so exactly one participant per user is in a room. Operations for one user are
 * serialized by a lock striped over user ids (users sharing a stripe may wait on each other's
 * join, never deadlock). Thread-safe.
 */
final class SessionRegistry {
  private static final Logger log = LoggerFactory.getLogger(SessionRegistry.class);

  /** Too many sessions, or the registry is shutting down. */
  static final class RefusedException extends Exception {
    private static final long serialVersionUID = 1L;

    RefusedException(String message) {
      super(message);
    }
  }

  private final BridgeConfig config;
  private final AudioClock clock;
  private final Executor blocking;
  private final PlaybackController.Factory playbackFactory;
  private final BridgeMetrics metrics;
  private final ConcurrentHashMap<String, BridgeSession> sessions = new ConcurrentHashMap<>();
  /** Striped per-user locks: bounded, however many distinct users come and go. */
  private final ReentrantLock[] locks = new ReentrantLock[256];
  private final ConcurrentHashMap<String, StreamAudioCall> streams = new ConcurrentHashMap<>();
  private volatile boolean shuttingDown;

  SessionRegistry(BridgeConfig config, AudioClock clock, Executor blocking, PlaybackController.Factory playbackFactory,
      BridgeMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
    this.clock = clock;
    this.blocking = blocking;
    this.playbackFactory = playbackFactory;
    for (int i = 0; i < locks.length; i++) locks[i] = new ReentrantLock();
  }

  private ReentrantLock lockFor(String userId) {
    return locks[(userId.hashCode() & 0x7fffffff) % locks.length];
  }

  /** Closes any session of the user, then joins; blocks up to the connect timeout. */
  BridgeSession join(BridgeSession.JoinParams params) throws RefusedException, RoomConnectException, InterruptedException {
    ReentrantLock lock = lockFor(params.userId());
    lock.lockInterruptibly();
    try {
      if (shuttingDown) throw new RefusedException("the bridge is shutting down");
      BridgeSession previous = sessions.remove(params.userId());
      if (previous != null) {
        log.info("replacing the session of user {} in room {}", params.userId(), previous.roomName);
        previous.close();
      }
      if (sessions.size() >= config.maxSessions()) {
        throw new RefusedException("session limit reached (" + config.maxSessions() + " sessions)");
      }
      BridgeSession session = BridgeSession.join(params, config, clock, blocking, playbackFactory, metrics);
      sessions.put(params.userId(), session);
      StreamAudioCall stream = streams.get(params.userId());
      if (stream != null) stream.attachTo(session);
      return session;
    } finally {
      lock.unlock();
    }
  }

  /** Closes the user's session; false when there is none. */
  boolean leave(String userId) throws InterruptedException {
    ReentrantLock lock = lockFor(userId);
    lock.lockInterruptibly();
    try {
      BridgeSession session = sessions.remove(userId);
      if (session == null) return false;
      session.close();
      StreamAudioCall stream = streams.get(userId);
      if (stream != null) stream.sessionEnded();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Closes {@code session} if it is still its user's current one (a newer join may have replaced it). */
  void leaveIfCurrent(BridgeSession session) throws InterruptedException {
    ReentrantLock lock = lockFor(session.userId);
    lock.lockInterruptibly();
    try {
      if (sessions.remove(session.userId, session)) {
        session.close();
        StreamAudioCall stream = streams.get(session.userId);
        if (stream != null) stream.sessionEnded();
      }
    } finally {
      lock.unlock();
    }
  }

  BridgeSession get(String userId) {
    return sessions.get(userId);
  }

  int sessionCount() {
    return sessions.size();
  }

  /** Sessions per connection state. */
  java.util.Map<com.mentra.livekit.rtc.ConnectionState, Integer> countByState() {
    java.util.EnumMap<com.mentra.livekit.rtc.ConnectionState, Integer> counts = new java.util.EnumMap<>(com.mentra.livekit.rtc.ConnectionState.class);
    for (BridgeSession s : sessions.values()) counts.merge(s.state(), 1, Integer::sum);
    return counts;
  }

  int streamCount() {
    return streams.size();
  }

  /** Registers the user's StreamAudio call (replacing an older one) and attaches it to the session. */
  void openStream(String userId, StreamAudioCall call) {
    StreamAudioCall old = streams.put(userId, call);
    if (old != null && old != call) old.superseded();
    BridgeSession session = sessions.get(userId);
    if (session != null) call.attachTo(session);
  }

  void closeStream(String userId, StreamAudioCall call) {
    streams.remove(userId, call);
  }

  /** Stops accepting joins and closes every session and stream. */
  void closeAll() {
    shuttingDown = true;
    List<BridgeSession> all = new ArrayList<>(sessions.values());
    sessions.clear();
    for (BridgeSession s : all) {
      try {
        s.close();
      } catch (RuntimeException e) {
        log.warn("closing session of {} failed", s.userId, e);
      }
    }
    for (StreamAudioCall call : new ArrayList<>(streams.values())) call.shutdown();
    streams.clear();
  }
}
