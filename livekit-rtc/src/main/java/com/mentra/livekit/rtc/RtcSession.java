package com.mentra.livekit.rtc;

import com.mentra.bridge.core.Closing;
import com.mentra.livekit.rtc.RoomConnectException.Reason;
import com.mentra.livekit.rtc.internal.PeerTransport;
import com.mentra.livekit.rtc.internal.RtcStatsParser;
import com.mentra.livekit.rtc.internal.SignalConnection;
import com.mentra.livekit.rtc.internal.WebRtcRuntime;
import dev.onvoid.webrtc.RTCConfiguration;
import dev.onvoid.webrtc.RTCPeerConnectionState;
import dev.onvoid.webrtc.RTCStatsReport;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import livekit.LivekitModels;
import livekit.LivekitRtc.JoinResponse;
import livekit.LivekitRtc.LeaveRequest;
import livekit.LivekitRtc.ReconnectResponse;
import livekit.LivekitRtc.SessionDescription;
import livekit.LivekitRtc.SignalRequest;
import livekit.LivekitRtc.SignalResponse;
import livekit.LivekitRtc.TrickleRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One join (LiveKit's Rust SDK: rtc_session): its signal connection, the publisher and subscriber
 * transports its join response sets up, the data channels on them and the signal keepalive. A
 * rejoin closes the session and starts a new one; a resume keeps it, reconnecting only its signal
 * and restarting ICE on its transports. Whether and when to do either is the {@link RoomEngine}'s
 * call: the session only reports that its connection broke. A join or resume ({@link
 * ConnectAttempt}) completes once media can flow: the primary transport is connected, the publisher
 * too if anything uses it, and the server's reliable data channel is open. It reports to the room
 * as {@link SessionEvents}; {@link TransportSignalling} carries what passes between its transports
 * and its signal.
 *
 * <p>Confined to the room's executor; the signal connection, the transports and the timers only
 * hand their events over.
 */
final class RtcSession {
  private static final Logger log = LoggerFactory.getLogger(RtcSession.class);

  private final RoomExecutor room;
  private final WebRtcRuntime rtc;
  private final SignalUrls urls;
  private final boolean autoSubscribe;
  private final DataChannelSender data;
  private final SessionEvents events;
  private final InboundDataChannels inbound;
  private final SignalKeepalive keepalive;
  private final TransportSignalling transports;

  private SignalConnection signal;
  private PeerTransport publisher;
  private PeerTransport subscriber;
  private boolean subscriberPrimary;
  private String roomName = "";

  /** The join or resume under way, or the last one. */
  private ConnectAttempt attempt;

  /** A resume is under way and the server has not yet confirmed it. */
  private boolean awaitingResume;

  private boolean closed;

  /**
   * @param data the room's outbound data, which outlives the session: it sends on this session's
   *     channels until the session closes
   */
  RtcSession(
      RoomExecutor room,
      WebRtcRuntime rtc,
      SignalUrls urls,
      boolean autoSubscribe,
      DataChannelSender data,
      SessionEvents events) {
    this.room = room;
    this.rtc = rtc;
    this.urls = urls;
    this.autoSubscribe = autoSubscribe;
    this.data = data;
    this.events = events;
    this.inbound = new InboundDataChannels(room, events::onData, this::checkTransportsUp);
    this.keepalive = new SignalKeepalive(room, () -> signal, events::onLost);
    this.transports = new TransportSignalling(this, data, inbound, events);
  }

  /** Opens the signal connection; the join response sets up the transports. */
  CompletableFuture<Void> join(String token, Duration timeout) {
    room.checkCurrent();
    return startAttempt(urls.join(token, autoSubscribe), timeout);
  }

  /**
   * Reconnects the signal to the server's session of participant {@code localSid}, keeping both
   * transports, which restart ICE once the server confirmed.
   */
  CompletableFuture<Void> resume(String token, String localSid, Duration timeout) {
    room.checkCurrent();
    keepalive.stop();
    if (signal != null) {
      signal.close();
      signal = null;
    }
    awaitingResume = true;
    CompletableFuture<Void> resumed =
        startAttempt(urls.resume(token, autoSubscribe, localSid), timeout);
    resumed.whenComplete((v, error) -> awaitingResume = false);
    return resumed;
  }

  /** Whether a resume could keep this session: it has both transports. */
  boolean canResume() {
    room.checkCurrent();
    return publisher != null && subscriber != null;
  }

  /**
   * Fails the attempt under way, if any (the room refused, or broke while joining); false when none
   * was.
   */
  boolean failAttempt(Throwable why) {
    room.checkCurrent();
    return attempt != null && attempt.fail(why);
  }

  /**
   * Sends on the signal connection; false while there is none (closed, or a resume is opening a new
   * one).
   */
  boolean send(SignalRequest request) {
    room.checkCurrent();
    return signal != null && signal.send(request);
  }

  /** This join's publisher; null before the join response and after close. */
  PeerTransport publisher() {
    room.checkCurrent();
    return publisher;
  }

  /** This join's subscriber; null before the join response and after close. */
  PeerTransport subscriber() {
    room.checkCurrent();
    return subscriber;
  }

  /** Starts the publisher's first negotiation, if nothing has yet (see the join response). */
  void connectPublisher() {
    room.checkCurrent();
    if (publisher != null && !publisher.negotiated() && signal != null && !awaitingResume)
      publisher.negotiate(false);
  }

  /**
   * Completes {@code result} with both transports' media figures, or {@link RtcStats#UNKNOWN}
   * without them.
   */
  void stats(CompletableFuture<RtcStats> result) {
    room.checkCurrent();
    if (publisher == null || subscriber == null) {
      result.complete(RtcStats.UNKNOWN);
      return;
    }
    // Both reports arrive on libwebrtc threads; they are only parsed there.
    CompletableFuture<RTCStatsReport> fromPublisher = new CompletableFuture<>();
    publisher.stats(fromPublisher::complete);
    subscriber.stats(
        report -> fromPublisher.thenAccept(p -> result.complete(RtcStatsParser.parse(p, report))));
  }

  /**
   * Releases the signal connection (after a leave, if {@code sendLeave}), the data channels and
   * both transports; idempotent. The room detaches its tracks and receivers first.
   */
  void close(boolean sendLeave) {
    room.checkCurrent();
    if (closed) return;
    closed = true;
    if (attempt != null) attempt.cancelTimeout();
    keepalive.stop();
    SignalConnection closing = signal;
    signal = null;
    // Each step on its own: one that throws must not leave the other transport's native peer
    // connection behind (this session is already marked closed; nobody would close it again).
    if (closing != null) {
      Closing.quietly(
          log,
          "signal connection",
          () -> {
            if (sendLeave) closing.send(leaveRequest());
            closing.close();
          });
    }
    Closing.quietly(log, "inbound receivers", inbound::closeAll);
    Closing.quietly(log, "data channels", data::closeChannels);
    if (publisher != null) Closing.quietly(log, "publisher transport", publisher::close);
    if (subscriber != null) Closing.quietly(log, "subscriber transport", subscriber::close);
    publisher = null;
    subscriber = null;
  }

  private static SignalRequest leaveRequest() {
    return SignalRequest.newBuilder()
        .setLeave(
            LeaveRequest.newBuilder()
                .setCanReconnect(false)
                .setReason(LivekitModels.DisconnectReason.CLIENT_INITIATED)
                .setAction(LeaveRequest.Action.DISCONNECT))
        .build();
  }

  private CompletableFuture<Void> startAttempt(URI uri, Duration timeout) {
    ConnectAttempt started =
        new ConnectAttempt(room, urls.host(), timeout, this::checkTransportsUp);
    attempt = started;
    SignalConnection.open(rtc.httpClient(), uri, timeout, room.serial(), new SignalListener())
        .whenComplete(
            (connection, error) ->
                room.submit(
                    () -> {
                      if (error != null) {
                        if (attempt == started) started.fail(error);
                        return;
                      }
                      if (closed || attempt != started || !started.pending()) {
                        connection.close();
                        return;
                      }
                      signal = connection;
                      connection.start();
                    }));
    return started.future();
  }

  /** Completes the attempt under way once its transports are up (and the server's channel). */
  void checkTransportsUp() {
    room.checkCurrent();
    if (attempt == null
        || !attempt.pending()
        || publisher == null
        || signal == null
        || awaitingResume) return;
    boolean publisherUp =
        !publisher.negotiated() || publisher.connectionState() == RTCPeerConnectionState.CONNECTED;
    boolean subscriberUp =
        !subscriberPrimary || subscriber.connectionState() == RTCPeerConnectionState.CONNECTED;
    if (publisherUp && subscriberUp)
      attempt.transportsUp(subscriberPrimary && !inbound.reliableOpen());
  }

  /**
   * The signal connection's events, and this session's share of the messages (the rest go to the
   * room).
   */
  private final class SignalListener
      implements SignalConnection.Listener, SignalDispatcher.SessionSignals {
    @Override
    public void onMessage(SignalConnection connection, SignalResponse message) {
      if (connection != signal || closed) return;
      SignalDispatcher.dispatch(message, this, events);
    }

    @Override
    public void onClosed(SignalConnection connection, String reason) {
      if (connection != signal) return;
      signal = null;
      // Closed while joining or resuming: the attempt's owner decides what comes next.
      if (!failAttempt(new RoomConnectException(Reason.PROTOCOL, reason))) events.onLost(reason);
    }

    @Override
    public void onJoin(JoinResponse join) {
      if (attempt == null || !attempt.pending()) return;
      subscriberPrimary = join.getSubscriberPrimary();
      roomName = join.getRoom().getName();
      events.onJoined(join);
      RTCConfiguration config = PeerConnectionConfig.of(join);
      publisher =
          new PeerTransport(
              "publisher", rtc.sendFactory(), config, room.serial(), room.timers(), transports);
      subscriber =
          new PeerTransport(
              "subscriber", rtc.receiveFactory(), config, room.serial(), room.timers(), transports);
      data.open(publisher);
      // With the subscriber primary (the server's choice for a participant that may subscribe), the
      // publisher connects on first use, as in LiveKit's own SDKs: a track (LocalPublications) or
      // data. A join then sets up one transport instead of two: in a 100-join burst, 7.4 instead of
      // 11.6 ms of the bridge's CPU per join, and 4.7 instead of 7.8 ms of livekit-server's.
      if (!subscriberPrimary || data.hasPending()) publisher.negotiate(false);
      keepalive.start(join.getPingInterval(), join.getPingTimeout());
    }

    /** The server accepted our resume: restart ICE on the publisher; it restarts the subscriber. */
    @Override
    public void onResumed(ReconnectResponse response) {
      if (!awaitingResume || publisher == null) return;
      awaitingResume = false;
      log.info("resumed the session in room '{}'", roomName);
      keepalive.restart();
      // Candidates of the new ICE generation may arrive before the descriptions that start it:
      // both transports hold them until then (as LiveKit's Rust SDK does).
      publisher.prepareIceRestart();
      if (subscriber != null) subscriber.prepareIceRestart();
      if (publisher.negotiated()) publisher.negotiate(true);
    }

    @Override
    public void onOffer(SessionDescription offer) {
      transports.onServerOffer(offer);
    }

    @Override
    public void onAnswer(SessionDescription answer) {
      transports.onServerAnswer(answer);
    }

    @Override
    public void onTrickle(TrickleRequest trickle) {
      transports.onServerTrickle(trickle);
    }

    @Override
    public void onPong() {
      keepalive.onPong();
    }
  }
}
