package com.mentra.bridge.server;

import com.mentra.bridge.core.Closing;
import com.mentra.bridge.dsp.AudioClock;
import com.mentra.livekit.rtc.RoomConnectException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions, keyed by user id. Joining for a user who has a session replaces it: the old one is
 * closed first, so exactly one participant per user is in a room. Operations for one user are
 * serialized by that user's own lock ({@link UserLocks}); different users never wait on each other.
 * At most MAX_SESSIONS sessions and joins in flight are admitted, however many joins run at once.
 * Thread-safe.
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
  private final PlayAudioHandlerFactory playAudioFactory;
  private final BridgeMetrics metrics;
  private final ConcurrentHashMap<String, BridgeSession> sessions = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, StreamAudioCall> streams = new ConcurrentHashMap<>();

  /** Calls a newer one replaced; open until their client ends them (or shutdown does). */
  private final java.util.Set<StreamAudioCall> supersededStreams = ConcurrentHashMap.newKeySet();

  private final UserLocks userLocks = new UserLocks();

  /**
   * Sessions plus joins in flight: admission counts both, so concurrent joins cannot exceed the
   * limit.
   */
  private final AtomicInteger admitted = new AtomicInteger();

  /**
   * Orders the final "still open?" check and the insertion of a joined session against {@link
   * #closeAll()}: shared by joins for that short step, exclusive while shutting down, so no session
   * can be inserted after shutdown has collected the sessions to close.
   */
  private final ReentrantReadWriteLock shutdownGate = new ReentrantReadWriteLock();

  private boolean shuttingDown; // guarded by shutdownGate

  SessionRegistry(
      BridgeConfig config,
      AudioClock clock,
      Executor blocking,
      PlayAudioHandlerFactory playAudioFactory,
      BridgeMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
    this.clock = clock;
    this.blocking = blocking;
    this.playAudioFactory = playAudioFactory;
  }

  /** A user's operations wait for each other at most this long (a join can take ~17 s at worst). */
  private static final long USER_LOCK_WAIT_MS = 30_000;

  private UserLocks.Held lockUser(String userId) throws InterruptedException, RefusedException {
    UserLocks.Held held = userLocks.acquire(userId, USER_LOCK_WAIT_MS);
    if (held == null)
      throw new RefusedException("another operation for user '" + userId + "' is still running");
    return held;
  }

  private boolean isShuttingDown() {
    shutdownGate.readLock().lock();
    try {
      return shuttingDown;
    } finally {
      shutdownGate.readLock().unlock();
    }
  }

  /** Closes any session of the user, then joins; blocks up to the connect timeout. */
  BridgeSession join(BridgeSession.JoinParams params)
      throws RefusedException, RoomConnectException, InterruptedException {
    try (UserLocks.Held ignored = lockUser(params.userId())) {
      if (isShuttingDown()) throw new RefusedException("the bridge is shutting down");
      BridgeSession previous = sessions.remove(params.userId());
      if (previous != null) {
        log.info("replacing the session of user {} in room {}", params.userId(), previous.roomName);
        admitted.decrementAndGet(); // first: a close that throws must not keep its slot
        previous.close();
      }
      if (!admit())
        throw new RefusedException("session limit reached (" + config.maxSessions() + " sessions)");
      BridgeSession session;
      try {
        session = BridgeSession.join(params, config, clock, blocking, playAudioFactory, metrics);
      } catch (RoomConnectException | InterruptedException | RuntimeException e) {
        admitted.decrementAndGet();
        throw e;
      }
      shutdownGate.readLock().lock();
      try {
        if (shuttingDown) {
          admitted.decrementAndGet();
          session.close();
          throw new RefusedException("the bridge is shutting down");
        }
        sessions.put(params.userId(), session);
      } finally {
        shutdownGate.readLock().unlock();
      }
      StreamAudioCall stream = streams.get(params.userId());
      if (stream != null) stream.attachTo(session);
      return session;
    }
  }

  private boolean admit() {
    while (true) {
      int now = admitted.get();
      if (now >= config.maxSessions()) return false;
      if (admitted.compareAndSet(now, now + 1)) return true;
    }
  }

  /** Closes the user's session; false when there is none. */
  boolean leave(String userId) throws InterruptedException {
    try (UserLocks.Held ignored = lockUser(userId)) {
      BridgeSession session = sessions.remove(userId);
      if (session == null) return false;
      admitted.decrementAndGet();
      session.close();
      StreamAudioCall stream = streams.get(userId);
      if (stream != null) stream.sessionEnded();
      return true;
    } catch (RefusedException e) {
      log.warn("leave of {} not done: {}", userId, e.getMessage());
      return false;
    }
  }

  /**
   * Closes {@code session} if it is still its user's current one (a newer join may have replaced
   * it).
   */
  void leaveIfCurrent(BridgeSession session) throws InterruptedException {
    try (UserLocks.Held ignored = lockUser(session.userId)) {
      if (sessions.remove(session.userId, session)) {
        admitted.decrementAndGet();
        session.close();
        StreamAudioCall stream = streams.get(session.userId);
        if (stream != null) stream.sessionEnded();
      }
    } catch (RefusedException e) {
      log.warn("leave of {} not done: {}", session.userId, e.getMessage());
    }
  }

  BridgeSession get(String userId) {
    return sessions.get(userId);
  }

  /** Restarts the user's idle lease, if the user has a session. */
  void touch(String userId) {
    BridgeSession s = sessions.get(userId);
    if (s != null) s.touch();
  }

  /**
   * Closes sessions whose backend vanished: no open StreamAudio call and no call for {@code
   * idleSeconds}. Returns how many were closed. Called periodically.
   */
  int expireIdle(int idleSeconds) {
    if (idleSeconds <= 0) return 0;
    int expired = 0;
    for (BridgeSession s : sessions()) {
      if (streams.containsKey(s.userId) || s.idleNanos() < idleSeconds * 1_000_000_000L) continue;
      try (var u = org.slf4j.MDC.putCloseable("user_id", s.userId);
          var r = org.slf4j.MDC.putCloseable("room", s.roomName)) {
        log.warn(
            "leaving the room: no StreamAudio call and no call for {} s (SESSION_IDLE_SECONDS); the backend is gone",
            idleSeconds);
        leaveIfCurrent(s);
        expired++;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return expired;
  }

  /** The sessions now (a copy). */
  List<BridgeSession> sessions() {
    return new ArrayList<>(sessions.values());
  }

  int sessionCount() {
    return sessions.size();
  }

  /** Sessions per connection state. */
  java.util.Map<com.mentra.livekit.rtc.ConnectionState, Integer> countByState() {
    java.util.EnumMap<com.mentra.livekit.rtc.ConnectionState, Integer> counts =
        new java.util.EnumMap<>(com.mentra.livekit.rtc.ConnectionState.class);
    for (BridgeSession s : sessions.values()) counts.merge(s.state(), 1, Integer::sum);
    return counts;
  }

  int streamCount() {
    return streams.size();
  }

  /**
   * Registers the user's StreamAudio call (replacing an older one) and attaches it to the session.
   */
  void openStream(String userId, StreamAudioCall call) {
    StreamAudioCall old = streams.put(userId, call);
    if (old != null && old != call) {
      // Kept until it ends, so that shutdown ends it too instead of waiting out its grace period.
      supersededStreams.add(old);
      if (old.isEnded()) supersededStreams.remove(old); // it ended before it was added
      old.superseded();
    }
    BridgeSession session = sessions.get(userId);
    if (session != null) call.attachTo(session);
  }

  void closeStream(String userId, StreamAudioCall call) {
    // The idle lease starts when the user's stream ends.
    if (streams.remove(userId, call)) touch(userId);
    else supersededStreams.remove(call);
  }

  /** How long shutdown waits for every session to close (each room's close waits at most 5 s). */
  private static final long CLOSE_ALL_BOUND_NANOS = 15_000_000_000L;

  private static void awaitClosed(List<Thread> closing, long deadlineNanos) {
    try {
      for (Thread t : closing) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0 || !t.join(java.time.Duration.ofNanos(left))) {
          log.warn(
              "sessions still closing after {} s; shutting down anyway",
              CLOSE_ALL_BOUND_NANOS / 1_000_000_000L);
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops accepting joins and closes every session and stream. */
  void closeAll() {
    shutdownGate.writeLock().lock();
    try {
      shuttingDown = true;
    } finally {
      shutdownGate.writeLock().unlock();
    }
    // From here no join can insert a session; joins in flight close their own.
    long start = System.nanoTime();
    List<Thread> closing = new ArrayList<>();
    for (String userId : new ArrayList<>(sessions.keySet())) {
      BridgeSession s = sessions.remove(userId);
      if (s == null) continue;
      admitted.decrementAndGet();
      // All at once, as concurrent LeaveRoom calls would. One after another is fast while rooms
      // close normally (~3.6 ms each), but each close may wait up to 5 s (a stalled room), and a
      // few of those in a row outlast the pod's termination grace.
      closing.add(
          Thread.ofVirtual()
              .name("close-session")
              .start(() -> Closing.quietly(log, "session of " + s.userId, s)));
    }
    awaitClosed(closing, start + CLOSE_ALL_BOUND_NANOS);
    if (!closing.isEmpty())
      log.info(
          "closed {} sessions in {} ms", closing.size(), (System.nanoTime() - start) / 1_000_000);
    for (StreamAudioCall call : new ArrayList<>(streams.values())) call.shutdown();
    streams.clear();
    for (StreamAudioCall call : new ArrayList<>(supersededStreams)) call.shutdown();
    supersededStreams.clear();
  }
}
