package com.mentra.bridge.server;

import com.mentra.bridge.api.AudioChunk;
import com.mentra.bridge.api.BridgeStatusRequest;
import com.mentra.bridge.api.BridgeStatusResponse;
import com.mentra.bridge.api.HealthCheckRequest;
import com.mentra.bridge.api.HealthCheckResponse;
import com.mentra.bridge.api.JoinRoomRequest;
import com.mentra.bridge.api.JoinRoomResponse;
import com.mentra.bridge.api.LeaveRoomRequest;
import com.mentra.bridge.api.LeaveRoomResponse;
import com.mentra.bridge.api.LiveKitBridgeGrpc;
import com.mentra.bridge.api.PlayAudioEvent;
import com.mentra.bridge.api.PlayAudioRequest;
import com.mentra.bridge.api.StopAudioRequest;
import com.mentra.bridge.api.StopAudioResponse;
import com.mentra.livekit.rtc.ConnectionState;
import com.mentra.livekit.rtc.RtcStats;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The gRPC API. Malformed calls get a status ({@link RequestValidator}: INVALID_ARGUMENT, or
 * PERMISSION_DENIED for a room outside ROOM_NAME_PATTERN); expected failures (unknown user, bad
 * URL, join refused) get success=false and an error text, as the existing client expects. Blocking
 * work (joining a room, by {@link JoinRoomHandler}) runs on virtual threads, never on a gRPC
 * thread. Thread-safe.
 */
final class LiveKitBridgeService extends LiveKitBridgeGrpc.LiveKitBridgeImplBase {
  private static final Logger log = LoggerFactory.getLogger(LiveKitBridgeService.class);

  private final BridgeConfig config;
  private final SessionRegistry sessions;
  private final Executor blocking;
  private final BridgeMetrics metrics;
  private final long startedAt = System.currentTimeMillis();
  private final AtomicLong malformedChunks = new AtomicLong();
  private volatile boolean serving = true;
  private final RequestValidator validator;
  private final JoinRoomHandler joins;

  LiveKitBridgeService(
      BridgeConfig config, SessionRegistry sessions, Executor blocking, BridgeMetrics metrics) {
    this.config = config;
    this.sessions = sessions;
    this.blocking = blocking;
    this.metrics = metrics;
    this.validator = new RequestValidator(config.roomNamePattern());
    this.joins = new JoinRoomHandler(config, sessions, blocking, metrics);
  }

  void stopServing() {
    serving = false;
  }

  long malformedChunks() {
    return malformedChunks.get();
  }

  @Override
  public void joinRoom(JoinRoomRequest request, StreamObserver<JoinRoomResponse> responses) {
    if (RequestValidator.refused(validator.joinRoom(request), responses)) return;
    joins.join(request, responses);
  }

  @Override
  public void leaveRoom(LeaveRoomRequest request, StreamObserver<LeaveRoomResponse> responses) {
    if (RequestValidator.refused(validator.leaveRoom(request), responses)) return;
    blocking.execute(
        () -> {
          LeaveRoomResponse response;
          try (var u = MDC.putCloseable("user_id", request.getUserId())) {
            log.info(
                "leave requested{}",
                request.getReason().isBlank() ? "" : " (" + request.getReason() + ")");
            response =
                sessions.leave(request.getUserId())
                    ? LeaveRoomResponse.newBuilder().setSuccess(true).build()
                    : LeaveRoomResponse.newBuilder()
                        .setSuccess(false)
                        .setError("no session for user '" + request.getUserId() + "'")
                        .build();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            response =
                LeaveRoomResponse.newBuilder().setSuccess(false).setError("interrupted").build();
          }
          responses.onNext(response);
          responses.onCompleted();
        });
  }

  @Override
  public StreamObserver<AudioChunk> streamAudio(StreamObserver<AudioChunk> responses) {
    return new StreamAudioCall(
        sessions,
        (ServerCallStreamObserver<AudioChunk>) responses,
        UserIdInterceptor.USER_ID.get(),
        malformedChunks);
  }

  @Override
  public void playAudio(PlayAudioRequest request, StreamObserver<PlayAudioEvent> events) {
    if (RequestValidator.refused(validator.playAudio(request), events)) return;
    sessions.touch(request.getUserId());
    BridgeSession session = sessions.get(request.getUserId());
    if (session == null) {
      events.onNext(
          PlayAudioEvent.newBuilder()
              .setType(PlayAudioEvent.EventType.FAILED)
              .setRequestId(request.getRequestId())
              .setError("no session for user '" + request.getUserId() + "'; call JoinRoom first")
              .build());
      events.onCompleted();
      return;
    }
    session.playAudio().play(request, events);
  }

  @Override
  public void stopAudio(StopAudioRequest request, StreamObserver<StopAudioResponse> responses) {
    if (RequestValidator.refused(validator.stopAudio(request), responses)) return;
    sessions.touch(request.getUserId());
    BridgeSession session = sessions.get(request.getUserId());
    if (session == null) {
      responses.onNext(
          StopAudioResponse.newBuilder()
              .setSuccess(false)
              .setError("no session for user '" + request.getUserId() + "'")
              .build());
    } else {
      // request_id names the cloud's stop request, not a playback (upstream ignored it too): logged
      // only.
      List<String> stopped = session.playAudio().stop(request.getTrackId());
      try (var u = MDC.putCloseable("user_id", request.getUserId());
          var q = MDC.putCloseable("request_id", request.getRequestId())) {
        log.info(
            "stop track {}{}: stopped {}",
            request.getTrackId() == -1 ? "all" : request.getTrackId(),
            request.getReason().isBlank() ? "" : " (" + request.getReason() + ")",
            stopped.isEmpty() ? "nothing" : stopped);
      }
      responses.onNext(
          StopAudioResponse.newBuilder()
              .setSuccess(true)
              .setStoppedRequestId(String.join(",", stopped))
              .build());
    }
    responses.onCompleted();
  }

  @Override
  public void healthCheck(
      HealthCheckRequest request, StreamObserver<HealthCheckResponse> responses) {
    // `service` may name anything (upstream ignored it); the bridge answers for itself.
    Map<ConnectionState, Integer> byState = sessions.countByState();
    HealthCheckResponse.Builder health =
        HealthCheckResponse.newBuilder()
            .setStatus(
                serving
                    ? HealthCheckResponse.ServingStatus.SERVING
                    : HealthCheckResponse.ServingStatus.NOT_SERVING)
            .setActiveSessions(sessions.sessionCount())
            // Upstream counted sessions with a room here; open StreamAudio calls are in metadata.
            .setActiveStreams(
                sessions.sessionCount() - byState.getOrDefault(ConnectionState.DISCONNECTED, 0))
            .setUptimeSeconds((System.currentTimeMillis() - startedAt) / 1000)
            .putMetadata("version", BridgeVersion.VALUE)
            .putMetadata("stream_calls", String.valueOf(sessions.streamCount()));
    for (ConnectionState state : ConnectionState.values()) {
      health.putMetadata(
          "sessions_" + state.name().toLowerCase(java.util.Locale.ROOT),
          String.valueOf(byState.getOrDefault(state, 0)));
    }
    responses.onNext(health.build());
    responses.onCompleted();
  }

  @Override
  public void getStatus(
      BridgeStatusRequest request, StreamObserver<BridgeStatusResponse> responses) {
    if (RequestValidator.refused(validator.getStatus(request), responses)) return;
    sessions.touch(request.getUserId());
    BridgeSession session = sessions.get(request.getUserId());
    if (session == null) {
      // The cloud asks on every reconnect check: no session is an answer, not an error.
      responses.onNext(
          BridgeStatusResponse.newBuilder()
              .setConnected(false)
              .setServerVersion(BridgeVersion.VALUE)
              .build());
      responses.onCompleted();
      return;
    }
    ConnectionState state = session.state();
    BridgeStatusResponse.Builder status =
        BridgeStatusResponse.newBuilder()
            .setConnected(state == ConnectionState.CONNECTED)
            .setParticipantId(session.identity())
            .setParticipantCount(session.participantCount())
            .setLastDisconnectAt(session.lastDisconnectAt())
            .setLastDisconnectReason(session.lastDisconnectReason())
            .setServerVersion(BridgeVersion.VALUE)
            .setConnectionState(state.name())
            .setDroppedChunks(session.downlink().dropped())
            .setPhonePacketsLost(session.phonePacketsLost())
            .setStats(session.stats())
            .setLivekitServerVersion(session.room().serverVersion());
    // libwebrtc's stats arrive asynchronously (bounded at 2 s); the answer goes out then.
    session
        .room()
        .rtcStats()
        .whenComplete(
            (rtc, error) -> {
              RtcStats figures = rtc == null ? RtcStats.UNKNOWN : rtc;
              try {
                responses.onNext(
                    status
                        .setRoundTripMs(figures.roundTripMs())
                        .setInboundJitterMs(figures.inboundJitterMs())
                        .setInboundLossRatio(
                            figures.inboundPackets() > 0 ? figures.inboundLossRatio() : -1)
                        .setOutboundFractionLost(figures.outboundFractionLost())
                        .build());
                responses.onCompleted();
              } catch (RuntimeException e) {
                log.debug("GetStatus caller went away: {}", e.toString());
              }
            });
  }
}
