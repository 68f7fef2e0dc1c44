package com.mentra.bridge.server;

import com.mentra.bridge.api.PlayAudioEvent;
import com.mentra.bridge.api.PlayAudioRequest;
import com.mentra.bridge.audio.playback.PlayRequest;
import com.mentra.bridge.audio.playback.PlaybackHandle;
import com.mentra.bridge.audio.playback.Player;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One session's PlayAudio and StopAudio calls, carried out by the session's {@link Player}: turns a
 * validated PlayAudioRequest into a {@link PlayRequest}, its events into the call's stream ({@link
 * PlayAudioEvents}), and a cancelled call into a cancelled playback. Made by {@link
 * PlayAudioHandlerFactory} when the session joins. Thread-safe (the player is); never blocks.
 */
final class PlayAudioHandler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PlayAudioHandler.class);

  private final BridgeSession session;
  private final Player player;
  private final BridgeMetrics metrics;

  PlayAudioHandler(BridgeSession session, Player player, BridgeMetrics metrics) {
    this.session = session;
    this.player = player;
    this.metrics = metrics;
  }

  /**
   * Starts a playback; events go to {@code events}, which is completed after the terminal event
   * (COMPLETED, possibly with a stop reason, or FAILED).
   */
  void play(PlayAudioRequest request, StreamObserver<PlayAudioEvent> events) {
    String requestId = request.getRequestId();
    PlayAudioEvents listener = new PlayAudioEvents(session, requestId, events, metrics);
    URI uri;
    try {
      uri = new URI(request.getAudioUrl().trim());
    } catch (URISyntaxException e) {
      listener.refuse("malformed audio_url: " + e.getMessage());
      return;
    }
    try (var u = MDC.putCloseable("user_id", session.userId);
        var r = MDC.putCloseable("room", session.roomName);
        var q = MDC.putCloseable("request_id", requestId)) {
      log.info(
          "play {} on track {} (volume {}, stop_other {})",
          uri,
          request.getTrackId(),
          request.getVolume(),
          request.getStopOther());
    }
    PlaybackHandle handle =
        player.play(
            new PlayRequest(
                requestId, uri, request.getVolume(), request.getTrackId(), request.getStopOther()),
            listener);
    // A caller that cancels its PlayAudio call (or passes its deadline) no longer wants the
    // sound: end this playback, and only this one.
    if (events instanceof ServerCallStreamObserver<PlayAudioEvent> call) {
      call.setOnCancelHandler(handle::cancel);
      if (call.isCancelled()) handle.cancel();
    }
  }

  /**
   * Stops what plays on {@code trackId}, or everything for -1; returns the request ids that were
   * playing.
   */
  List<String> stop(int trackId) {
    return player.stop(trackId);
  }

  /** Stops everything and unpublishes the session's playback tracks; idempotent. */
  @Override
  public void close() {
    player.close();
  }
}
