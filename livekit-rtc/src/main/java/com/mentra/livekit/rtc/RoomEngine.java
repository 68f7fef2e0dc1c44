package com.mentra.livekit.rtc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.mentra.livekit.rtc.RoomConnectException.Reason;
import com.mentra.livekit.rtc.internal.NativeAudioSender;
import com.mentra.livekit.rtc.internal.PeerTransport;
import com.mentra.livekit.rtc.internal.RoomRegistry;
import com.mentra.bridge.core.SerializingExecutor;
import com.mentra.livekit.rtc.internal.SignalConnection;
import com.mentra.livekit.rtc.internal.WebRtcRuntime;
import dev.onvoid.webrtc.RTCBundlePolicy;
import dev.onvoid.webrtc.RTCConfiguration;
import dev.onvoid.webrtc.RTCDataChannel;
import dev.onvoid.webrtc.RTCDataChannelBuffer;
import dev.onvoid.webrtc.RTCDataChannelObserver;
import dev.onvoid.webrtc.RTCDataChannelState;
import dev.onvoid.webrtc.RTCIceCandidate;
import dev.onvoid.webrtc.RTCIceServer;
import dev.onvoid.webrtc.RTCPeerConnectionState;
import dev.onvoid.webrtc.RTCRtpSender;
import dev.onvoid.webrtc.RTCRtpTransceiver;
import dev.onvoid.webrtc.RTCSdpType;
import dev.onvoid.webrtc.RTCSessionDescription;
import dev.onvoid.webrtc.RTCStatsReport;
import com.mentra.livekit.rtc.internal.RtcStatsParser;
import dev.onvoid.webrtc.media.MediaStreamTrack;
import dev.onvoid.webrtc.media.audio.AudioTrack;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import livekit.LivekitModels;
import livekit.LivekitModels.ParticipantInfo;
import livekit.LivekitModels.ParticipantTracks;
import livekit.LivekitModels.TrackType;
import livekit.LivekitModels.UserPacket;
import livekit.LivekitRtc.AddTrackRequest;
import livekit.LivekitRtc.JoinResponse;
import livekit.LivekitRtc.LeaveRequest;
import livekit.LivekitRtc.Ping;
import livekit.LivekitRtc.SessionDescription;
import livekit.LivekitRtc.SignalRequest;
import livekit.LivekitRtc.SignalResponse;
import livekit.LivekitRtc.SignalTarget;
import livekit.LivekitRtc.TrickleRequest;
import livekit.LivekitRtc.UpdateSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state machine behind a {@link Room}: signalling, the two transports, data channels,
 * published and subscribed audio, and reconnection.
 *
 * <p>Every field below is touched only on {@link #exec}, one task at a time; native callbacks and
 * the WebSocket only hand work to it. Listener callbacks go through {@link #callbacks} so a slow
 * listener never stalls signalling.
 */
final class RoomEngine implements RoomRegistry.Closeable {
  private static final Logger log = LoggerFactory.getLogger(RoomEngine.class);

  private final Room room;
  private final SignalUrls urls;
  private final RoomOptions options;
  private final RoomListener listener;
  private final WebRtcRuntime rtc = WebRtcRuntime.shared();
  final SerializingExecutor exec;
  private final SerializingExecutor callbacks;
  private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();

  private String token;
  private volatile ConnectionState state = ConnectionState.CONNECTING;
  private volatile String localSid = "";
  private volatile String localIdentity = "";
  private volatile String roomName = "";
  private volatile String serverVersion = "";
  private volatile String lastDisconnectReason = "";
  private final ParticipantTracker participants = new ParticipantTracker();
  private final RemoteAudioRouter remoteAudio = new RemoteAudioRouter(participants);
  private boolean closed;

  // One join attempt's transports; replaced as a whole on rejoin.
  private SignalConnection signal;
  private PeerTransport publisher;
  private PeerTransport subscriber;
  private final DataChannelSender data = new DataChannelSender(task -> submit(task, null));
  private final List<RTCDataChannel> inboundChannels = new ArrayList<>();
  private boolean subscriberPrimary;
  /** When both transports were first seen up in this attempt (0: not yet); bounds the data-channel wait. */
  private long transportsUpAtNanos;
  /** How long a join waits, after its transports are up, for the server's reliable data channel. */
  private static final long INBOUND_CHANNEL_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
  private CompletableFuture<Void> attempt;
  private ScheduledFuture<?> attemptTimeout;
  private ScheduledFuture<?> pingTask;
  private long lastPongNanos;
  private int pingTimeoutSeconds;
  private int pingIntervalSeconds;
  /** A resume is under way and the server has not yet confirmed it. */
  private boolean awaitingResume;

  private final Map<String, Publication> publications = new HashMap<>();

  // Reconnection.
  private final ReconnectPolicy reconnect;

  /** A local track and what it is bound to in the current join. */
  private static final class Publication {
    final LocalAudioTrack track;
    CompletableFuture<LocalAudioTrack> published;
    RTCRtpSender sender;

    Publication(LocalAudioTrack track, CompletableFuture<LocalAudioTrack> published) {
      this.track = track;
      this.published = published;
    }
  }


  RoomEngine(Room room, SignalUrls urls, String token, RoomOptions options, RoomListener listener) {
    this.room = room;
    this.urls = urls;
    this.token = token;
    this.options = options;
    this.listener = listener == null ? new RoomListener() {} : listener;
    this.exec = new SerializingExecutor(rtc.workers(), 10_000, "room");
    this.reconnect = new ReconnectPolicy(options.maxReconnectAttempts(), options.reconnectTimeout(), options.connectTimeout(), System::nanoTime);
    this.callbacks = new SerializingExecutor(rtc.workers(), 10_000, "room-callbacks");
  }

  // ---------------------------------------------------------------- public operations

  void connect() throws RoomConnectException, InterruptedException {
    RoomRegistry.register(this);
    CompletableFuture<Void> connected = new CompletableFuture<>();
    exec.execute(() -> startAttempt(connected, options.connectTimeout()));
    try {
      connected.get(options.connectTimeout().toMillis() + 2_000, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      closeWithin(Duration.ofSeconds(5));
      throw new RoomConnectException(Reason.TIMEOUT, "joining the room at " + urls.host() + " took longer than " + options.connectTimeout().toMillis() + " ms");
    } catch (java.util.concurrent.ExecutionException e) {
      closeWithin(Duration.ofSeconds(5));
      throw ConnectFailures.classify(e, urls, token, rtc.httpClient());
    } catch (InterruptedException e) {
      closeWithin(Duration.ofSeconds(5));
      throw e;
    }
  }

  ConnectionState state() {
    return state;
  }

  String localSid() {
    return localSid;
  }

  String localIdentity() {
    return localIdentity;
  }

  String roomName() {
    return roomName;
  }

  String serverVersion() {
    return serverVersion;
  }

  String lastDisconnectReason() {
    return lastDisconnectReason;
  }

  List<RemoteParticipant> remoteParticipants() {
    return participants.snapshot();
  }

  CompletableFuture<Void> sendData(byte[] payload, DataSendOptions sendOptions) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    UserPacket.Builder user = UserPacket.newBuilder().setPayload(ByteString.copyFrom(payload));
    if (!sendOptions.topic().isEmpty()) user.setTopic(sendOptions.topic());
    user.addAllDestinationIdentities(sendOptions.destinationIdentities());
    LivekitModels.DataPacket.Builder packet = LivekitModels.DataPacket.newBuilder()
        .setKind(sendOptions.kind() == DataKind.RELIABLE ? LivekitModels.DataPacket.Kind.RELIABLE : LivekitModels.DataPacket.Kind.LOSSY)
        .addAllDestinationIdentities(sendOptions.destinationIdentities())
        .setUser(user);
    submit(() -> {
      if (closed || state == ConnectionState.DISCONNECTED) {
        done.completeExceptionally(new IllegalStateException("room is disconnected"));
        return;
      }
      packet.setParticipantIdentity(localIdentity);
      data.send(new DataChannelSender.Packet(sendOptions.kind(), packet.build().toByteArray(), done));
      if (data.hasPending()) connectPublisher();
    }, done);
    return done;
  }

  CompletableFuture<LocalAudioTrack> publishAudio(LocalAudioTrackOptions trackOptions) {
    CompletableFuture<LocalAudioTrack> published = new CompletableFuture<>();
    submit(() -> {
      if (closed || state == ConnectionState.DISCONNECTED) {
        published.completeExceptionally(new IllegalStateException("room is disconnected"));
        return;
      }
      String cid = "TR_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
      NativeAudioSender sender = new NativeAudioSender(rtc.sendFactory(), cid);
      LocalAudioTrack track = new LocalAudioTrack(room, cid, trackOptions, sender);
      Publication publication = new Publication(track, published);
      publications.put(cid, publication);
      requestPublish(publication);
    }, published);
    return published;
  }

  void unpublish(LocalAudioTrack track) {
    track.sender().stop(); // no push from here on, and none in flight while the sender is detached
    submit(() -> {
      Publication publication = publications.remove(track.cid());
      if (publication == null) return;
      if (publication.sender != null && publisher != null) {
        publisher.removeTrack(publication.sender);
        publisher.negotiate(false);
      }
      publication.published.completeExceptionally(new IllegalStateException("unpublished"));
      track.sender().dispose();
    }, null);
  }

  /** Media transport figures from both peer connections; completes within 2 s. */
  CompletableFuture<RtcStats> stats() {
    CompletableFuture<RtcStats> result = new CompletableFuture<>();
    submit(() -> {
      PeerTransport pub = publisher;
      PeerTransport sub = subscriber;
      if (pub == null || sub == null) {
        result.complete(RtcStats.UNKNOWN);
        return;
      }
      // Both reports arrive on libwebrtc threads; they are only parsed there.
      CompletableFuture<RTCStatsReport> fromPublisher = new CompletableFuture<>();
      pub.stats(fromPublisher::complete);
      sub.stats(report -> fromPublisher.thenAccept(p -> result.complete(RtcStatsParser.parse(p, report))));
    }, result);
    return result.completeOnTimeout(RtcStats.UNKNOWN, 2, TimeUnit.SECONDS);
  }

  AudioSubscription receiveAudio(String identity, int sampleRate, int channels, AudioFrameListener frameListener) {
    RemoteAudioReceiver receiver = new RemoteAudioReceiver(identity, sampleRate, channels, options.audioQueueFrames(),
        frameListener, rtc.workers(), r -> submit(() -> remoteAudio.remove(r), null));
    remoteAudio.add(receiver);
    submit(() -> remoteAudio.attach(identity), null);
    return receiver;
  }

  @Override
  public void closeWithin(Duration timeout) {
    if (exec.isCurrent()) {
      doClose("client closed the room");
      return;
    }
    // A full queue must not skip the close (it used to log "closing anyway", not close, and
    // wait out the timeout): the close is retried until the queue takes it.
    com.mentra.bridge.core.Handoff.persistently(exec, () -> doClose("client closed the room"), "the close of room '" + roomName + "'");
    // From a listener callback the close completes after the callback returns; waiting would deadlock.
    if (callbacks.isCurrent()) return;
    try {
      closedFuture.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      log.warn("room did not close within {} ms", timeout.toMillis());
    }
  }

  // ---------------------------------------------------------------- join attempts

  /** Opens signalling and, on the join response, both transports; {@code done} completes when media can flow. */
  private void startAttempt(CompletableFuture<Void> done, Duration timeout) {
    startAttempt(done, timeout, false);
  }

  /**
   * @param resume reconnect the signal to the existing session (keeping both transports, which
   *     then restart ICE) instead of joining afresh
   */
  private void startAttempt(CompletableFuture<Void> done, Duration timeout, boolean resume) {
    if (closed) {
      done.completeExceptionally(new RoomConnectException(Reason.CANCELLED, "room closed"));
      return;
    }
    attempt = done;
    transportsUpAtNanos = 0;
    attemptTimeout = rtc.timers().schedule(() -> submit(() -> {
      if (attempt == done && !done.isDone()) {
        done.completeExceptionally(new RoomConnectException(Reason.TIMEOUT,
            "no join from LiveKit at " + urls.host() + " within " + timeout.toMillis() + " ms"));
      }
    }, null), timeout.toMillis(), TimeUnit.MILLISECONDS);
    // Transport states may already be CONNECTED after a resume, so look rather than wait for an event.
    ScheduledFuture<?> poll = rtc.timers().scheduleAtFixedRate(() -> submit(this::checkTransportsUp, null), 250, 250, TimeUnit.MILLISECONDS);
    done.whenComplete((v, e) -> poll.cancel(false));
    boolean autoSubscribe = options.autoSubscribe() && options.audioSubscriptions() == null;
    java.net.URI uri = resume ? urls.resume(token, autoSubscribe, localSid) : urls.join(token, autoSubscribe);
    SignalConnection.open(rtc.httpClient(), uri, timeout, exec, new SignalEvents())
        .whenComplete((connection, error) -> submit(() -> {
          if (error != null) {
            if (attempt == done) done.completeExceptionally(error);
            return;
          }
          if (closed || attempt != done || done.isDone()) {
            connection.close();
            return;
          }
          signal = connection;
          connection.start();
        }, null));
  }

  private void onJoin(JoinResponse join) {
    if (attempt == null || attempt.isDone()) return;
    ParticipantInfo local = join.getParticipant();
    localSid = local.getSid();
    localIdentity = local.getIdentity();
    roomName = join.getRoom().getName();
    serverVersion = join.getServerVersion();
    subscriberPrimary = join.getSubscriberPrimary();
    participants.reset(join.getOtherParticipantsList());
    log.info("joined room '{}' as '{}' ({}) on LiveKit {}", roomName, localIdentity, localSid, serverVersion);

    RTCConfiguration config = new RTCConfiguration();
    if (config.iceServers == null) config.iceServers = new ArrayList<>();
    config.bundlePolicy = RTCBundlePolicy.MAX_BUNDLE;
    for (livekit.LivekitRtc.ICEServer server : join.getIceServersList()) {
      RTCIceServer ice = new RTCIceServer();
      ice.urls = new ArrayList<>(server.getUrlsList());
      ice.username = server.getUsername();
      ice.password = server.getCredential();
      config.iceServers.add(ice);
    }
    TransportEvents events = new TransportEvents();
    publisher = new PeerTransport("publisher", rtc.sendFactory(), config, exec, rtc.timers(), events);
    subscriber = new PeerTransport("subscriber", rtc.receiveFactory(), config, exec, rtc.timers(), events);

    data.open(publisher);

    for (Publication publication : publications.values()) requestPublish(publication);
    // With the subscriber primary (the server's choice for a participant that may subscribe), the
    // publisher connects on first use, as in LiveKit's own SDKs: a track (onTrackPublished) or
    // data. A join then sets up one transport instead of two: in a 100-join burst, 7.4 instead of
    // 11.6 ms of the bridge's CPU per join, and 4.7 instead of 7.8 ms of livekit-server's.
    if (!subscriberPrimary || data.hasPending()) publisher.negotiate(false);

    pingTimeoutSeconds = join.getPingTimeout();
    pingIntervalSeconds = join.getPingInterval();
    startPing();
    remoteAudio.attachAll();
    for (RemoteParticipant participant : participants.snapshot()) {
      for (RemoteTrackPublication track : participant.tracks()) subscribeIfWanted(participant, track);
    }
  }

  private void startPing() {
    if (pingTask != null) pingTask.cancel(false);
    lastPongNanos = System.nanoTime();
    if (pingIntervalSeconds > 0) {
      pingTask = rtc.timers().scheduleAtFixedRate(() -> submit(this::ping, null),
          pingIntervalSeconds, pingIntervalSeconds, TimeUnit.SECONDS);
    }
  }

  /** The server accepted our resume: restart ICE on the publisher; it restarts the subscriber. */
  private void onResumed(livekit.LivekitRtc.ReconnectResponse response) {
    if (!awaitingResume || publisher == null) return;
    awaitingResume = false;
    log.info("resumed the session in room '{}'", roomName);
    startPing();
    // Candidates of the new ICE generation may arrive before the descriptions that start it:
    // both transports hold them until then (as LiveKit's Rust SDK does).
    publisher.prepareIceRestart();
    if (subscriber != null) subscriber.prepareIceRestart();
    if (publisher.negotiated()) publisher.negotiate(true);
  }

  private void checkTransportsUp() {
    if (attempt == null || attempt.isDone() || publisher == null || signal == null || awaitingResume) return;
    boolean publisherUp = !publisher.negotiated() || publisher.connectionState() == RTCPeerConnectionState.CONNECTED;
    boolean subscriberUp = !subscriberPrimary || subscriber.connectionState() == RTCPeerConnectionState.CONNECTED;
    if (publisherUp && subscriberUp) {
      // The phone's data reaches us on the server's reliable channel: a join that returned before it
      // opened lost whatever the phone sent in between (seen at 20% loss: up to 61 packets). Wait
      // for it, but never more than a second: a server that opens none must not fail the join.
      long now = System.nanoTime();
      if (transportsUpAtNanos == 0) transportsUpAtNanos = now;
      if (subscriberPrimary && !inboundReliableOpen() && now - transportsUpAtNanos < INBOUND_CHANNEL_WAIT_NANOS) return;
      transportsUpAtNanos = 0;
      cancelAttemptTimeout();
      attempt.complete(null);
      if (state == ConnectionState.CONNECTING) setState(ConnectionState.CONNECTED, "connected");
    }
  }

  private boolean inboundReliableOpen() {
    for (RTCDataChannel channel : inboundChannels) {
      if (DataChannelSender.RELIABLE_LABEL.equals(channel.getLabel()) && channel.getState() == RTCDataChannelState.OPEN) return true;
    }
    return false;
  }

  private void cancelAttemptTimeout() {
    if (attemptTimeout != null) {
      attemptTimeout.cancel(false);
      attemptTimeout = null;
    }
  }

  /** Releases one join's signalling and transports; the room's tracks and receivers survive. */
  private void teardownTransports(boolean sendLeave) {
    cancelAttemptTimeout();
    if (pingTask != null) {
      pingTask.cancel(false);
      pingTask = null;
    }
    remoteAudio.detachAll();
    if (signal != null) {
      if (sendLeave) {
        signal.send(SignalRequest.newBuilder().setLeave(LeaveRequest.newBuilder()
            .setCanReconnect(false)
            .setReason(LivekitModels.DisconnectReason.CLIENT_INITIATED)
            .setAction(LeaveRequest.Action.DISCONNECT)).build());
      }
      signal.close();
      signal = null;
    }
    for (RTCDataChannel channel : inboundChannels) DataChannelSender.dispose(channel);
    inboundChannels.clear();
    data.closeChannels();
    for (Publication publication : publications.values()) {
      // Detach the track first: a sender holding it keeps the native track alive past dispose.
      if (publication.sender != null && publisher != null) {
        RTCRtpSender sender = publication.sender;
        PeerTransport transport = publisher;
        publication.track.sender().withPushesPaused(() -> {
          transport.removeTrack(sender);
          return null;
        });
      }
      publication.sender = null;
    }
    if (publisher != null) publisher.close();
    if (subscriber != null) subscriber.close();
    publisher = null;
    subscriber = null;
  }

  // ---------------------------------------------------------------- reconnection

  private void onTransportLost(String why) {
    if (closed) return;
    if (state == ConnectionState.CONNECTING) {
      if (attempt != null && !attempt.isDone()) {
        attempt.completeExceptionally(new RoomConnectException(Reason.PROTOCOL, why));
      }
      return;
    }
    if (state != ConnectionState.CONNECTED) return;
    log.warn("connection to room '{}' lost: {}; reconnecting", roomName, why);
    setState(ConnectionState.RECONNECTING, why);
    boolean canResume = publisher != null && subscriber != null && !localSid.isEmpty();
    ReconnectPolicy.Decision next = reconnect.lost(why, canResume);
    if (!(next instanceof ReconnectPolicy.Resume)) teardownTransports(false);
    follow(next);
  }

  /** Carries out the policy's decision. */
  private void follow(ReconnectPolicy.Decision decision) {
    switch (decision) {
      case ReconnectPolicy.Resume r -> resumeAttempt(r.timeout());
      case ReconnectPolicy.Rejoin r -> rejoinAttempt(r.timeout());
      case ReconnectPolicy.RejoinAfter r ->
          rtc.timers().schedule(() -> submit(() -> {
            if (!closed && state == ConnectionState.RECONNECTING) follow(reconnect.rejoinNow());
          }, null), r.delay().toMillis(), TimeUnit.MILLISECONDS);
      case ReconnectPolicy.GiveUp g -> giveUp(g.reason());
    }
  }

  /** First try after a loss: keep the transports, reconnect the signal, restart ICE. */
  private void resumeAttempt(Duration timeout) {
    if (pingTask != null) {
      pingTask.cancel(false);
      pingTask = null;
    }
    if (signal != null) {
      signal.close();
      signal = null;
    }
    awaitingResume = true;
    CompletableFuture<Void> resumed = new CompletableFuture<>();
    startAttempt(resumed, timeout, true);
    resumed.whenComplete((v, error) -> submit(() -> {
      awaitingResume = false;
      if (closed || state != ConnectionState.RECONNECTING) return;
      if (error == null) {
        setState(ConnectionState.CONNECTED, "resumed");
        data.flush();
        if (data.hasPending()) connectPublisher();
        return;
      }
      String why = ConnectFailures.classifyWithoutAsking(error, urls).getMessage();
      log.info("resume failed ({}); rejoining", why);
      teardownTransports(false);
      follow(reconnect.resumeFailed(why));
    }, null));
  }

  private void rejoinAttempt(Duration timeout) {
    if (closed || state != ConnectionState.RECONNECTING) return;
    CompletableFuture<Void> rejoin = new CompletableFuture<>();
    startAttempt(rejoin, timeout);
    rejoin.whenComplete((v, error) -> submit(() -> {
      if (closed || state != ConnectionState.RECONNECTING) return;
      if (error == null) {
        log.info("rejoined room '{}' after {} attempt(s)", roomName, reconnect.attempts());
        setState(ConnectionState.CONNECTED, "rejoined after " + reconnect.attempts() + " attempt(s)");
        data.flush();
        return;
      }
      teardownTransports(false);
      follow(reconnect.rejoinFailed(ConnectFailures.classifyWithoutAsking(error, urls).getMessage()));
    }, null));
  }

  /** Starts the publisher's first negotiation, if nothing has yet (see onJoin). */
  private void connectPublisher() {
    if (publisher != null && !publisher.negotiated() && signal != null && !awaitingResume) publisher.negotiate(false);
  }

  private void giveUp(String reason) {
    log.warn("room '{}': {}", roomName, reason);
    teardownTransports(false);
    data.fail(reason);
    setState(ConnectionState.DISCONNECTED, reason);
  }

  // ---------------------------------------------------------------- signalling

  private void onSignal(SignalConnection connection, SignalResponse message) {
    if (connection != signal || closed) return;
    switch (message.getMessageCase()) {
      case JOIN -> onJoin(message.getJoin());
      case RECONNECT -> onResumed(message.getReconnect());
      case OFFER -> {
        if (subscriber == null) return;
        SessionDescription offer = message.getOffer();
        subscriber.acceptOffer(new RTCSessionDescription(RTCSdpType.OFFER, offer.getSdp()), answer -> {
          if (signal == null) return;
          signal.send(SignalRequest.newBuilder().setAnswer(SessionDescription.newBuilder()
              .setType("answer").setSdp(answer.sdp).setId(offer.getId())).build());
        });
      }
      case ANSWER -> {
        if (publisher != null) {
          publisher.acceptAnswer(new RTCSessionDescription(RTCSdpType.ANSWER, message.getAnswer().getSdp()));
        }
      }
      case TRICKLE -> onTrickle(message.getTrickle());
      case UPDATE -> {
        for (ParticipantInfo info : message.getUpdate().getParticipantsList()) {
          if (info.getSid().equals(localSid) || info.getIdentity().equals(localIdentity)) continue;
          participants.apply(info, new ListenerChanges());
        }
      }
      case TRACK_PUBLISHED -> onTrackPublished(message.getTrackPublished().getCid(), message.getTrackPublished().getTrack());
      case TRACK_UNPUBLISHED -> log.info("server unpublished our track {}", message.getTrackUnpublished().getTrackSid());
      case TRACK_SUBSCRIBED -> onTrackSubscribedByOthers(message.getTrackSubscribed().getTrackSid());
      case LEAVE -> onServerLeave(message.getLeave());
      case PONG, PONG_RESP -> lastPongNanos = System.nanoTime();
      case REFRESH_TOKEN -> token = message.getRefreshToken();
      default -> log.trace("ignored signal message {}", message.getMessageCase());
    }
  }

  private void onTrickle(TrickleRequest trickle) {
    PeerTransport target = trickle.getTarget() == SignalTarget.PUBLISHER ? publisher : subscriber;
    if (target == null) return;
    try {
      target.addRemoteCandidate(IceCandidates.fromJson(trickle.getCandidateInit()));
    } catch (InvalidProtocolBufferException e) {
      log.warn("ignored malformed trickle candidate: {}", trickle.getCandidateInit());
    }
  }

  private void onServerLeave(LeaveRequest leave) {
    String reason = "server asked to leave: " + leave.getReason();
    boolean reconnect = leave.getAction() == LeaveRequest.Action.RECONNECT
        || leave.getAction() == LeaveRequest.Action.RESUME
        || (leave.getAction() == LeaveRequest.Action.DISCONNECT && leave.getCanReconnect());
    if (reconnect && state == ConnectionState.CONNECTED) {
      onTransportLost(reason);
      return;
    }
    if (attempt != null && !attempt.isDone()) {
      // Refused while joining or resuming: the attempt's owner decides what comes next.
      attempt.completeExceptionally(new RoomConnectException(Reason.PROTOCOL, reason));
      return;
    }
    teardownTransports(false);
    data.fail(reason);
    setState(ConnectionState.DISCONNECTED, reason);
  }

  private void ping() {
    if (signal == null || closed) return;
    long silentSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - lastPongNanos);
    if (pingTimeoutSeconds > 0 && silentSeconds > pingTimeoutSeconds) {
      onTransportLost("no pong from the server for " + silentSeconds + " s");
      return;
    }
    signal.send(SignalRequest.newBuilder().setPingReq(Ping.newBuilder().setTimestamp(System.currentTimeMillis())).build());
  }

  // ---------------------------------------------------------------- publishing

  private void requestPublish(Publication publication) {
    if (signal == null) return; // sent again on the next join
    LocalAudioTrack track = publication.track;
    signal.send(SignalRequest.newBuilder().setAddTrack(AddTrackRequest.newBuilder()
        .setCid(track.cid())
        .setName(track.name())
        .setType(TrackType.AUDIO)
        .setSource(ParticipantTracker.toProto(track.source()))).build());
  }

  private void onTrackPublished(String cid, LivekitModels.TrackInfo info) {
    Publication publication = publications.get(cid);
    if (publication == null || publisher == null) return;
    publication.track.setSid(info.getSid());
    if (publication.sender == null) {
      PeerTransport transport = publisher;
      publication.sender = publication.track.sender().withPushesPaused(
          () -> transport.addSendOnlyTrack(publication.track.sender().track(), List.of(localSid + "|" + cid)));
      publisher.negotiate(false);
    }
    if (!publication.published.isDone()) publication.published.complete(publication.track);
  }

  /** The server attached the first subscriber to our track {@code sid}: audio pushed now is heard. */
  private void onTrackSubscribedByOthers(String sid) {
    for (Publication publication : publications.values()) {
      if (sid.equals(publication.track.sid())) publication.track.markSubscribed();
    }
  }

  // ---------------------------------------------------------------- data

  private void onInboundMessage(String label, RTCDataChannelBuffer buffer) {
    // Runs on a libwebrtc thread: copy, parse, hand over.
    long receivedAtNanos = System.nanoTime();
    ByteBuffer data = buffer.data;
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    LivekitModels.DataPacket packet;
    try {
      packet = LivekitModels.DataPacket.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      log.debug("ignored unparseable data packet ({} bytes)", bytes.length);
      return;
    }
    if (!packet.hasUser()) return;
    UserPacket user = packet.getUser();
    String sender = !packet.getParticipantIdentity().isEmpty() ? packet.getParticipantIdentity() : user.getParticipantIdentity();
    DataKind kind = DataChannelSender.LOSSY_LABEL.equals(label) ? DataKind.LOSSY : DataKind.RELIABLE;
    DataPacket received = new DataPacket(sender, user.getTopic(), kind, user.getPayload().toByteArray(), receivedAtNanos);
    emit(() -> listener.onDataReceived(received));
  }

  // ---------------------------------------------------------------- subscribed audio

  /** A subscribed audio track arrived (see {@link RemoteAudioRouter}): tell the listener once. */
  private void onRemoteAudio(AudioTrack audio, List<String> streamIds) {
    String trackSid = remoteAudio.onRemoteAudio(audio, streamIds);
    if (trackSid == null) return;
    RemoteParticipant owner = participants.ownerOfTrack(trackSid);
    log.debug("room '{}': audio track {} of {} subscribed", roomName, trackSid, owner == null ? "(not yet known)" : owner.identity());
    if (owner != null) {
      RemoteTrackPublication publication = participants.track(trackSid);
      emit(() -> listener.onTrackSubscribed(owner, publication));
    }
  }

  private void subscribeIfWanted(RemoteParticipant participant, RemoteTrackPublication track) {
    Set<String> wanted = options.audioSubscriptions();
    if (wanted == null || track.kind() != TrackKind.AUDIO || !wanted.contains(participant.identity()) || signal == null) return;
    signal.send(SignalRequest.newBuilder().setSubscription(UpdateSubscription.newBuilder()
        .addTrackSids(track.sid())
        .setSubscribe(true)
        .addParticipantTracks(ParticipantTracks.newBuilder().setParticipantSid(participant.sid()).addTrackSids(track.sid())))
        .build());
  }

  // ---------------------------------------------------------------- state and close

  private void setState(ConnectionState next, String reason) {
    if (state == next) return;
    state = next;
    if (next == ConnectionState.DISCONNECTED) lastDisconnectReason = reason;
    emit(() -> listener.onConnectionStateChanged(next, reason));
  }

  private void doClose(String reason) {
    if (closed) return;
    closed = true;
    try {
      if (attempt != null && !attempt.isDone()) {
        attempt.completeExceptionally(new RoomConnectException(Reason.CANCELLED, "room closed while connecting"));
      }
      teardownTransports(true);
      for (Publication publication : publications.values()) {
        publication.published.completeExceptionally(new IllegalStateException("room closed"));
        publication.track.sender().dispose();
      }
      publications.clear();
      data.fail("room closed");
      remoteAudio.closeAll();
    } catch (RuntimeException e) {
      log.error("releasing room '{}' failed; some native objects may leak", roomName, e);
    } finally {
      setState(ConnectionState.DISCONNECTED, reason);
      RoomRegistry.unregister(this);
      // Let the callback queue drain the final state change before reporting closed.
      try {
        callbacks.execute(() -> closedFuture.complete(null));
      } catch (RejectedExecutionException e) {
        closedFuture.complete(null);
      }
    }
  }

  private void emit(Runnable callback) {
    try {
      callbacks.execute(() -> {
        try {
          callback.run();
        } catch (RuntimeException e) {
          log.warn("room listener threw", e);
        }
      });
    } catch (RejectedExecutionException e) {
      log.warn("room listener is {} events behind; event dropped", 10_000);
    }
  }

  /** Runs {@code task} on the room executor; fails {@code onReject} if the executor is saturated. */
  private void submit(Runnable task, CompletableFuture<?> onReject) {
    try {
      exec.execute(task);
    } catch (RejectedExecutionException e) {
      if (onReject != null) onReject.completeExceptionally(e);
      else log.warn("room executor saturated; task dropped");
    }
  }

  // ---------------------------------------------------------------- callbacks from transports

  private final class SignalEvents implements SignalConnection.Listener {
    @Override
    public void onMessage(SignalConnection connection, SignalResponse message) {
      onSignal(connection, message);
    }

    @Override
    public void onClosed(SignalConnection connection, String reason) {
      if (connection != signal) return;
      signal = null;
      if (attempt != null && !attempt.isDone()) {
        attempt.completeExceptionally(new RoomConnectException(Reason.PROTOCOL, reason));
        return;
      }
      onTransportLost(reason);
    }
  }

  private final class TransportEvents implements PeerTransport.Events {
    @Override
    public void onIceCandidate(PeerTransport transport, RTCIceCandidate candidate) {
      if (signal == null || (transport != publisher && transport != subscriber)) return;
      signal.send(SignalRequest.newBuilder().setTrickle(TrickleRequest.newBuilder()
          .setCandidateInit(IceCandidates.toJson(candidate))
          .setTarget(transport == publisher ? SignalTarget.PUBLISHER : SignalTarget.SUBSCRIBER)).build());
    }

    @Override
    public void onConnectionState(PeerTransport transport, RTCPeerConnectionState pcState) {
      if (transport != publisher && transport != subscriber) return;
      log.debug("{} {}", transport.name(), pcState);
      if (pcState == RTCPeerConnectionState.CONNECTED) {
        checkTransportsUp();
        if (transport == publisher) data.flush();
      } else if (pcState == RTCPeerConnectionState.FAILED) {
        onTransportLost(transport.name() + " transport failed");
      }
    }

    @Override
    public void onDataChannel(PeerTransport transport, RTCDataChannel channel) {
      if (transport != subscriber) {
        channel.dispose();
        return;
      }
      String label = channel.getLabel();
      inboundChannels.add(channel);
      channel.registerObserver(new RTCDataChannelObserver() {
        @Override
        public void onBufferedAmountChange(long previousAmount) {}

        @Override
        public void onStateChange() {
          submit(RoomEngine.this::checkTransportsUp, null); // a join may be waiting for this channel
        }

        @Override
        public void onMessage(RTCDataChannelBuffer buffer) {
          onInboundMessage(label, buffer);
        }
      });
      // A channel announced by the server is usually open already, and then no state change
      // follows: without this look the join waited for the next 250 ms poll.
      checkTransportsUp();
    }

    @Override
    public void onRemoteAudio(PeerTransport transport, AudioTrack track, List<String> streamIds) {
      if (transport == subscriber) RoomEngine.this.onRemoteAudio(track, streamIds);
    }

    @Override
    public void onOffer(PeerTransport transport, RTCSessionDescription offer) {
      if (transport != publisher || signal == null) return;
      signal.send(SignalRequest.newBuilder().setOffer(SessionDescription.newBuilder().setType("offer").setSdp(offer.sdp)).build());
    }

    @Override
    public void onError(PeerTransport transport, String error) {
      log.warn("{}", error);
      onTransportLost(error);
    }
  }

  private final class ListenerChanges implements ParticipantTracker.Changes {
    @Override
    public void joined(RemoteParticipant participant) {
      emit(() -> listener.onParticipantConnected(participant));
    }

    @Override
    public void left(RemoteParticipant participant) {
      emit(() -> listener.onParticipantDisconnected(participant));
    }

    @Override
    public void trackPublished(RemoteParticipant participant, RemoteTrackPublication track) {
      emit(() -> listener.onTrackPublished(participant, track));
      subscribeIfWanted(participant, track);
      remoteAudio.attach(participant.identity());
    }

    @Override
    public void trackUnpublished(RemoteParticipant participant, RemoteTrackPublication track) {
      remoteAudio.onTrackUnpublished(track.sid());
      emit(() -> listener.onTrackUnpublished(participant, track));
    }
  }
}
