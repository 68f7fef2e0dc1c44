package com.mentra.livekit.rtc;

import com.mentra.bridge.core.Handoff;
import com.mentra.bridge.core.SerializingExecutor;
import com.mentra.livekit.rtc.RoomConnectException.Reason;
import com.mentra.livekit.rtc.internal.RoomRegistry;
import com.mentra.livekit.rtc.internal.WebRtcRuntime;
import dev.onvoid.webrtc.media.audio.AudioTrack;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import livekit.LivekitModels;
import livekit.LivekitModels.ParticipantInfo;
import livekit.LivekitModels.TrackInfo;
import livekit.LivekitRtc.JoinResponse;
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
 * <p>Confined to the room's executor: the operations {@link Room} calls from any thread only hand
 * over, and the session reports on the executor. The getters read volatile fields.
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
  private final SessionEvents sessionEvents = new SessionEvents();

  private String token;
  private volatile ConnectionState state = ConnectionState.CONNECTING;
  private volatile LocalParticipantInfo local = LocalParticipantInfo.NOT_JOINED;
  private volatile String lastDisconnectReason = "";

  /** The current join; null between a rejoin's close of the last one and its start of the next. */
  private RtcSession session;

  private boolean closed;

  RoomEngine(
      Room owner, SignalUrls urls, String token, RoomOptions options, RoomListener listener) {
    this.urls = urls;
    this.token = token;
    this.options = options;
    this.room =
        new RoomExecutor(new SerializingExecutor(rtc.workers(), 10_000, "room"), rtc.timers());
    this.listener = new ListenerQueue(listener, rtc.workers());
    this.reconnect =
        new ReconnectPolicy(
            options.maxReconnectAttempts(),
            options.reconnectTimeout(),
            options.connectTimeout(),
            System::nanoTime);
    this.remote = new RemoteParticipants(room, options.audioSubscriptions(), this.listener);
    this.publications = new LocalPublications(room, owner, rtc.sendFactory());
    this.data = new DataChannelSender(room::submit);
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

  CompletableFuture<Void> sendData(byte[] payload, DataSendOptions sendOptions) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    LivekitModels.DataPacket.Builder packet = UserPackets.build(payload, sendOptions);
    room.submit(
        () -> {
          if (refusedWhenDisconnected(done)) return;
          data.send(
              new DataChannelSender.Packet(
                  sendOptions.kind(), UserPackets.encode(packet, local.identity()), done));
          if (data.hasPending()) connectPublisher();
        },
        done);
    return done;
  }

  CompletableFuture<LocalAudioTrack> publishAudio(LocalAudioTrackOptions trackOptions) {
    CompletableFuture<LocalAudioTrack> published = new CompletableFuture<>();
    room.submit(
        () -> {
          if (!refusedWhenDisconnected(published))
            publications.publish(trackOptions, published, session);
        },
        published);
    return published;
  }

  void unpublish(LocalAudioTrack track) {
    track.sender().stop(); // no push from here on, and none in flight while the sender is detached
    room.submit(() -> publications.unpublish(track, session));
  }

  /** Media transport figures from both peer connections; completes within 2 s. */
  CompletableFuture<RtcStats> stats() {
    CompletableFuture<RtcStats> result = new CompletableFuture<>();
    room.submit(
        () -> {
          if (session == null) result.complete(RtcStats.UNKNOWN);
          else session.stats(result);
        },
        result);
    return result.completeOnTimeout(RtcStats.UNKNOWN, 2, TimeUnit.SECONDS);
  }

  AudioSubscription receiveAudio(
      String identity, int sampleRate, int channels, AudioFrameListener frameListener) {
    RemoteAudioReceiver receiver =
        new RemoteAudioReceiver(
            identity,
            sampleRate,
            channels,
            options.audioQueueFrames(),
            frameListener,
            rtc.workers(),
            r -> room.submit(() -> remote.removeReceiver(r)));
    remote.addReceiver(receiver);
    room.submit(() -> remote.attach(identity));
    return receiver;
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
  private boolean refusedWhenDisconnected(CompletableFuture<?> request) {
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

  private void onTransportLost(String why) {
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
  private void onServerLeave(LeaveRequest leave) {
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
  private void connectPublisher() {
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

  /** What the current session reports, on the room's executor (data packets excepted). */
  private final class SessionEvents implements RtcSession.Events {
    @Override
    public void onJoined(JoinResponse join) {
      local = LocalParticipantInfo.of(join);
      log.info(
          "joined room '{}' as '{}' ({}) on LiveKit {}",
          local.roomName(),
          local.identity(),
          local.sid(),
          local.serverVersion());
      publications.requestAll(session);
      remote.onJoined(join.getOtherParticipantsList(), session);
    }

    @Override
    public void onLost(String why) {
      onTransportLost(why);
    }

    @Override
    public void onRemoteAudio(AudioTrack track, List<String> streamIds) {
      remote.onRemoteAudio(track, streamIds, local.roomName());
    }

    @Override
    public void onData(DataPacket packet) {
      listener.emit(l -> l.onDataReceived(packet));
    }

    @Override
    public void onParticipantUpdate(List<ParticipantInfo> participants) {
      remote.onUpdate(participants, local, session);
    }

    @Override
    public void onLocalTrackPublished(String cid, TrackInfo track) {
      publications.onPublished(cid, track, session, local.sid());
    }

    @Override
    public void onLocalTrackUnpublished(String trackSid) {
      log.info("server unpublished our track {}", trackSid);
    }

    @Override
    public void onLocalTrackSubscribed(String trackSid) {
      publications.onSubscribed(trackSid);
    }

    @Override
    public void onLeave(LeaveRequest leave) {
      onServerLeave(leave);
    }

    @Override
    public void onRefreshToken(String refreshed) {
      token = refreshed;
    }
  }
}
