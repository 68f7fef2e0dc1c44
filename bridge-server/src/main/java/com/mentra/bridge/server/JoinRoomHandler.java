package com.mentra.bridge.server;

import com.mentra.bridge.api.JoinRoomRequest;
import com.mentra.bridge.api.JoinRoomResponse;
import com.mentra.livekit.rtc.RoomConnectException;
import io.grpc.stub.StreamObserver;
import io.livekit.server.AccessToken;
import io.livekit.server.CanPublish;
import io.livekit.server.CanPublishData;
import io.livekit.server.CanSubscribe;
import io.livekit.server.RoomJoin;
import io.livekit.server.RoomName;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Carries out a validated JoinRoom call: the LiveKit URL and token (minted when the request has
 * none and the API key is configured), the join on a blocking thread, and the answer (success=false
 * with an error text for an expected failure, as the existing client expects); a join the client
 * cancelled meanwhile leaves the room again.
 *
 * <p>Thread-safe: {@link #join} runs on a gRPC thread and hands the join itself to the blocking
 * executor (virtual threads).
 */
final class JoinRoomHandler {
  private static final Logger log = LoggerFactory.getLogger(JoinRoomHandler.class);

  private final BridgeConfig config;
  private final SessionRegistry sessions;
  private final Executor blocking;
  private final BridgeMetrics metrics;

  JoinRoomHandler(
      BridgeConfig config, SessionRegistry sessions, Executor blocking, BridgeMetrics metrics) {
    this.config = config;
    this.sessions = sessions;
    this.blocking = blocking;
    this.metrics = metrics;
  }

  /** Joins on the blocking executor and answers on {@code responses}. */
  void join(JoinRoomRequest request, StreamObserver<JoinRoomResponse> responses) {
    long startedNanos = System.nanoTime();
    String url = !request.getLivekitUrl().isBlank() ? request.getLivekitUrl() : config.livekitUrl();
    if (url.isEmpty()) {
      refuseJoin(responses, "no livekit_url in the request and LIVEKIT_URL is not configured");
      return;
    }
    String token = request.getToken();
    if (token.isBlank()) {
      if (!config.canMintTokens()) {
        refuseJoin(
            responses,
            "no token in the request and LIVEKIT_API_KEY/LIVEKIT_API_SECRET are not configured");
        return;
      }
      try {
        // The phone joins as user_id; the bridge must not take that identity (LiveKit would
        // disconnect the phone), so it joins as the cloud does: cloud-agent:{user_id}.
        token = mintToken(request.getRoomName(), config.identityPrefix() + request.getUserId());
      } catch (RuntimeException | LinkageError e) {
        // A broken deployment (e.g. a missing JWT library) must answer with a reason, not UNKNOWN.
        log.error("cannot mint a LiveKit token", e);
        refuseJoin(responses, "cannot mint a LiveKit token: " + e);
        return;
      }
    }
    BridgeSession.JoinParams params =
        new BridgeSession.JoinParams(
            request.getUserId(),
            request.getRoomName(),
            url,
            token,
            request.getTargetIdentity(),
            request.getSubscribeTargetAudio());
    io.grpc.Context call = io.grpc.Context.current();
    blocking.execute(
        () -> {
          try (var u = MDC.putCloseable("user_id", params.userId());
              var r = MDC.putCloseable("room", params.roomName())) {
            JoinRoomResponse response;
            try {
              BridgeSession session = sessions.join(params);
              if (call.isCancelled()) {
                // The client gave up (e.g. disposed its session) while we joined: it will never use
                // this session, so it must not stay in the room.
                log.info("join cancelled by the client; leaving again");
                sessions.leaveIfCurrent(session);
                return;
              }
              log.info(
                  "joined as {} ({}; target '{}', mic audio {})",
                  session.identity(),
                  session.room().localSid(),
                  params.targetIdentity(),
                  params.subscribeTargetAudio());
              response =
                  JoinRoomResponse.newBuilder()
                      .setSuccess(true)
                      .setParticipantId(session.identity())
                      .setParticipantCount(session.participantCount())
                      .putMetadata("participant_sid", session.room().localSid())
                      .putMetadata("livekit_server_version", session.room().serverVersion())
                      .putMetadata("bridge_version", BridgeVersion.VALUE)
                      .build();
            } catch (RoomConnectException e) {
              log.warn("join failed ({}): {}", e.reason(), e.getMessage());
              response = failedJoin(e.reason() + ": " + e.getMessage());
            } catch (SessionRegistry.RefusedException e) {
              response = failedJoin(e.getMessage());
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              response = failedJoin("interrupted");
            } catch (RuntimeException | LinkageError e) {
              // LinkageError: a broken deployment (e.g. webrtc-java's native library cannot load)
              // must still answer, not leave the caller waiting for its deadline.
              log.error("join failed unexpectedly", e);
              response = failedJoin("internal error: " + e);
            }
            metrics.joinFinished(response.getSuccess(), System.nanoTime() - startedNanos);
            try {
              responses.onNext(response);
              responses.onCompleted();
            } catch (RuntimeException e) {
              log.debug("client went away before the join answer: {}", e.toString());
            }
          }
        });
  }

  private void refuseJoin(StreamObserver<JoinRoomResponse> responses, String error) {
    metrics.joinFinished(false, 0);
    responses.onNext(failedJoin(error));
    responses.onCompleted();
  }

  private static JoinRoomResponse failedJoin(String error) {
    return JoinRoomResponse.newBuilder().setSuccess(false).setError(error).build();
  }

  private String mintToken(String room, String identity) {
    AccessToken token = new AccessToken(config.apiKey(), config.apiSecret());
    token.setIdentity(identity);
    token.setName(identity);
    token.setTtl(6 * 3_600_000L);
    token.addGrants(
        new RoomJoin(true),
        new RoomName(room),
        new CanPublish(true),
        new CanSubscribe(true),
        new CanPublishData(true));
    return token.toJwt();
  }
}
