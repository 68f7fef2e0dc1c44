package com.mentra.livekit.rtc;

import com.mentra.bridge.core.Handoff;
import com.mentra.bridge.core.SerializingExecutor;
import com.mentra.livekit.rtc.RoomConnectException.Reason;
import com.mentra.livekit.rtc.internal.RoomRegistry;
import com.mentra.livekit.rtc.internal.WebRtcRuntime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import livekit.LivekitRtc.LeaveRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One room's state machine (LiveKit's Rust SDK: rtc_engine): CONNECTING until the first join's
 * media can flow, then CONNECTED; on a loss RECONNECTING, carrying out {@link ReconnectPolicy}
 * (resume the {@link RtcSession}, else close it and join with a new one); DISCONNECTED when the
 * policy gives up, the server sends us away, or the room closes. It owns what outlives a join: the
 * room's identity and token, {@link LocalPublications}, {@link RemoteParticipants} and the outbound
 * data queue ({@link DataChannelSender}).
 *
 * <p>Confined to the room's executor: {@link #start} and {@link #closeWithin}, called from any
 * thread, only hand over, as do the {@link RoomRequests}; the session reports on the executor
 * through its {@link SessionEventRouter}. The getters read volatile fields.
 */
final class RoomEngine implements RoomRegistry.Closeable {
  private static final Logger log = LoggerFactory.getLogger(RoomEngine.class);

  private final SignalUrls urls;
  private final RoomOptions options;
  private final WebRtcRuntime rtc = WebRtcRuntime.shared();
  private final RoomExecutor room;
  private final ListenerQueue listener;
  private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();
  private final ReconnectPolicy reconnect;
  private final RemoteParticipants remote;
  private final LocalPublications publications;
  private final DataChannelSender data;
  private final SessionEventRouter sessionEvents;
  private final RoomRequests requests;

  private String token;
  private volatile ConnectionState state = ConnectionState.CONNECTING;
  private volatile LocalParticipantInfo local = LocalParticipantInfo.NOT_JOINED;
  private volatile String lastDisconnectReason = "";

  /** The current join; null between a rejoin's close of the last one and its start of the next. */
  private RtcSession session;

  private boolean closed;

  RoomEngine(
      Room owner, SignalUrls urls, String token, RoomOptions options, RoomListener listener) {
    this(owner, urls, token, options, listener, null);
  }

  /**
   * @param executor the room's executor; null: a new one over the shared workers (tests pass their
   *     own)
   */
  RoomEngine(
      Room owner,
      SignalUrls urls,
      String token,
      RoomOptions options,
      RoomListener listener,
      RoomExecutor executor) {
    this.urls = urls;
    this.token = token;
    this.options = options;
    this.room =
        executor != null
            ? executor
            : new RoomExecutor(
                new SerializingExecutor(rtc.workers(), 10_000, "room"), rtc.timers());
    this.listener = new ListenerQueue(listener, rtc.workers());
    this.reconnect =
        new ReconnectPolicy(
            options.maxReconnectAttempts(),
            options.reconnectTimeout(),
            options.connectTimeout(),
            System::nanoTime);
    this.remote = new RemoteParticipants(room, options.audioSubscriptions(), this.listener);
    this.publications = new LocalPublications(room, owner, rtc.sendFactory());
    this.data = new DataChannelSender(room);
    this.sessionEvents = new SessionEventRouter(this, publications, remote, this.listener);
    this.requests = new RoomRequests(this, room, rtc, options, data, publications, remote);
  }

  /**
   * Starts the first join; the future completes once its media can flow and the room is CONNECTED.
   */
  CompletableFuture<Void> start() {
    RoomRegistry.register(this);
    CompletableFuture<Void> connected = new CompletableFuture<>();
    room.serial()
        .execute(
            () ->
                joinWithNewSession(options.connectTimeout())
                    .whenComplete(
                        (v, error) -> {
                          if (error != null) {
                            connected.completeExceptionally(error);
                            return;
                          }
                          if (state == ConnectionState.CONNECTING)
                            setState(ConnectionState.CONNECTED, "connected");
                          connected.complete(null);
                        }));
    return connected;
  }

  ConnectionState state() {
    return state;
  }

  LocalParticipantInfo local() {
    return local;
  }

  String lastDisconnectReason() {
    return lastDisconnectReason;
  }

  List<RemoteParticipant> remoteParticipants() {
    return remote.snapshot();
  }

  /** Data, audio and stats requests; thread-safe. */
  RoomRequests requests() {
    return requests;
  }

  /** The current join, or null between joins. */
  RtcSession session() {
    room.checkCurrent();
    return session;
  }

  void setLocal(LocalParticipantInfo joined) {
    room.checkCurrent();
    local = joined;
  }

  void setToken(String refreshed) {
    room.checkCurrent();
    token = refreshed;
  }

  @Override
  public void closeWithin(Duration timeout) {
    if (room.isCurrent()) {
      doClose("client closed the room");
      return;
    }
    // A full queue must not skip the close (it used to log "closing anyway", not close, and
    // wait out the timeout): the close is retried until the queue takes it.
    Handoff.persistently(
        room.serial(),
        () -> doClose("client closed the room"),
        "the close of room '" + local.roomName() + "'");
    // From a listener callback the close completes after the callback returns; waiting would
    // deadlock.
    if (listener.isCurrent()) return;
    try {
      closedFuture.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("room did not close within {} ms", timeout.toMillis());
    }
  }

  /**
   * Fails {@code request} when the room is disconnected (true), for operations that need a room.
   */
  boolean refusedWhenDisconnected(CompletableFuture<?> request) {
    if (!closed && state != ConnectionState.DISCONNECTED) return false;
    request.completeExceptionally(new IllegalStateException("room is disconnected"));
    return true;
  }

  /** Starts a new session; the future completes (on the room) when its media can flow. */
  private CompletableFuture<Void> joinWithNewSession(Duration timeout) {
    room.checkCurrent();
    if (closed)
      return CompletableFuture.failedFuture(
          new RoomConnectException(Reason.CANCELLED, "room closed"));
    boolean autoSubscribe = options.autoSubscribe() && options.audioSubscriptions() == null;
    session = new RtcSession(room, rtc, urls, autoSubscribe, data, sessionEvents);
    return session.join(token, timeout);
  }

  void onTransportLost(String why) {
    if (closed) return;
    if (state == ConnectionState.CONNECTING) {
      if (session != null) session.failAttempt(new RoomConnectException(Reason.PROTOCOL, why));
      return;
    }
    if (state != ConnectionState.CONNECTED) return;
    log.warn("connection to room '{}' lost: {}; reconnecting", local.roomName(), why);
    setState(ConnectionState.RECONNECTING, why);
    boolean canResume = session != null && session.canResume() && !local.sid().isEmpty();
    ReconnectPolicy.Decision next = reconnect.lost(why, canResume);
    if (!(next instanceof ReconnectPolicy.Resume)) closeSession(false);
    follow(next);
  }

  /** Carries out the policy's decision. */
  private void follow(ReconnectPolicy.Decision decision) {
    switch (decision) {
      case ReconnectPolicy.Resume r -> resume(r.timeout());
      case ReconnectPolicy.Rejoin r -> rejoin(r.timeout());
      case ReconnectPolicy.RejoinAfter r ->
          room.schedule(
              () -> {
                if (!closed && state == ConnectionState.RECONNECTING) follow(reconnect.rejoinNow());
              },
              r.delay().toMillis(),
              TimeUnit.MILLISECONDS);
      case ReconnectPolicy.GiveUp g -> {
        log.warn("room '{}': {}", local.roomName(), g.reason());
        disconnect(g.reason());
      }
    }
  }

  /** First try after a loss: keep the session's transports, reconnect its signal, restart ICE. */
  private void resume(Duration timeout) {
    session
        .resume(token, local.sid(), timeout)
        .whenComplete(
            (v, error) ->
                room.submit(
                    () -> {
                      if (closed || state != ConnectionState.RECONNECTING) return;
                      if (error == null) {
                        setState(ConnectionState.CONNECTED, "resumed");
                        data.flush();
                        if (data.hasPending()) connectPublisher();
                        return;
                      }
                      String why = ConnectFailures.classifyWithoutAsking(error, urls).getMessage();
                      log.info("resume failed ({}); rejoining", why);
                      closeSession(false);
                      follow(reconnect.resumeFailed(why));
                    }));
  }

  private void rejoin(Duration timeout) {
    if (closed || state != ConnectionState.RECONNECTING) return;
    joinWithNewSession(timeout)
        .whenComplete(
            (v, error) ->
                room.submit(
                    () -> {
                      if (closed || state != ConnectionState.RECONNECTING) return;
                      if (error == null) {
                        log.info(
                            "rejoined room '{}' after {} attempt(s)",
                            local.roomName(),
                            reconnect.attempts());
                        setState(
                            ConnectionState.CONNECTED,
                            "rejoined after " + reconnect.attempts() + " attempt(s)");
                        data.flush();
                        return;
                      }
                      closeSession(false);
                      follow(
                          reconnect.rejoinFailed(
                              ConnectFailures.classifyWithoutAsking(error, urls).getMessage()));
                    }));
  }

  /** The room is over for {@code reason}, but not closed: the caller still closes it. */
  private void disconnect(String reason) {
    closeSession(false);
    data.fail(reason);
    setState(ConnectionState.DISCONNECTED, reason);
  }

  /** The server sent us away: a reconnect when it allows one, else the end of the room. */
  void onServerLeave(LeaveRequest leave) {
    String reason = "server asked to leave: " + leave.getReason();
    if (ReconnectPolicy.allowsReconnect(leave) && state == ConnectionState.CONNECTED) {
      onTransportLost(reason);
      return;
    }
    // Refused while joining or resuming: the attempt's owner decides what comes next.
    if (session != null && session.failAttempt(new RoomConnectException(Reason.PROTOCOL, reason)))
      return;
    disconnect(reason);
  }

  /** Starts the publisher's first negotiation, if nothing has yet (a track or data needs it). */
  void connectPublisher() {
    if (session != null) session.connectPublisher();
  }

  /** Closes the current join; the room's tracks, receivers and queued data wait for the next. */
  private void closeSession(boolean sendLeave) {
    remote.detachAll();
    if (session == null) return;
    publications.detachAll(session);
    session.close(sendLeave);
    session = null;
  }

  private void setState(ConnectionState next, String reason) {
    if (state == next) return;
    state = next;
    if (next == ConnectionState.DISCONNECTED) lastDisconnectReason = reason;
    listener.emit(l -> l.onConnectionStateChanged(next, reason));
  }

  private void doClose(String reason) {
    room.checkCurrent();
    if (closed) return;
    closed = true;
    try {
      if (session != null)
        session.failAttempt(
            new RoomConnectException(Reason.CANCELLED, "room closed while connecting"));
      closeSession(true);
      publications.closeAll();
      data.fail("room closed");
      remote.closeAll();
    } catch (RuntimeException e) {
      log.error("releasing room '{}' failed; some native objects may leak", local.roomName(), e);
    } finally {
      setState(ConnectionState.DISCONNECTED, reason);
      RoomRegistry.unregister(this);
      // Let the callback queue drain the final state change before reporting closed.
      listener.whenDrained(closedFuture);
    }
  }
}
