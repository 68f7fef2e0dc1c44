package com.mentra.bridge.server;

import com.mentra.bridge.api.PlayAudioEvent;
import com.mentra.bridge.audio.playback.PlaybackError;
import com.mentra.bridge.audio.playback.PlaybackListener;
import com.mentra.bridge.audio.playback.StopReason;
import io.grpc.stub.StreamObserver;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One PlayAudio call's event stream: turns a playback's callbacks into PlayAudioEvents (STARTED,
 * PROGRESS, then COMPLETED or FAILED) and ends the call after the terminal one. A caller that went
 * away is logged at debug level, never an error. Called on the player's event thread, one call at a
 * time (as {@link PlaybackListener} promises); not for use from several threads at once.
 */
final class PlayAudioEvents implements PlaybackListener {
  private static final Logger log = LoggerFactory.getLogger(PlayAudioEvents.class);

  private final BridgeSession session;
  private final String requestId;
  private final StreamObserver<PlayAudioEvent> events;
  private final BridgeMetrics metrics;

  PlayAudioEvents(
      BridgeSession session,
      String requestId,
      StreamObserver<PlayAudioEvent> events,
      BridgeMetrics metrics) {
    this.session = session;
    this.requestId = requestId;
    this.events = events;
    this.metrics = metrics;
  }

  @Override
  public void onStarted(long durationMs) {
    send(
        PlayAudioEvent.newBuilder()
            .setType(PlayAudioEvent.EventType.STARTED)
            .setRequestId(requestId)
            .setDurationMs(durationMs)
            .build());
  }

  @Override
  public void onProgress(long positionMs, long durationMs) {
    send(
        PlayAudioEvent.newBuilder()
            .setType(PlayAudioEvent.EventType.PROGRESS)
            .setRequestId(requestId)
            .setPositionMs(positionMs)
            .setDurationMs(durationMs)
            .build());
  }

  @Override
  public void onCompleted(long durationMs, StopReason reason) {
    logEnd("completed after " + durationMs + " ms" + (reason == null ? "" : " (" + reason + ")"));
    metrics.playbackEnded(reason == null ? "completed" : reason.name().toLowerCase(Locale.ROOT));
    PlayAudioEvent.Builder completed =
        PlayAudioEvent.newBuilder()
            .setType(PlayAudioEvent.EventType.COMPLETED)
            .setRequestId(requestId)
            .setDurationMs(durationMs)
            .setPositionMs(durationMs);
    if (reason != null) {
      // Upstream's contract carries it in metadata; field 7 has the same value.
      String stopReason = reason.name().toLowerCase(Locale.ROOT);
      completed.putMetadata("stop_reason", stopReason).setStopReason(stopReason);
    }
    send(completed.build());
    complete();
  }

  @Override
  public void onFailed(PlaybackError error, long positionMs) {
    logEnd("failed at " + positionMs + " ms: " + error.message());
    metrics.playbackEnded("failed");
    fail(error.message(), positionMs);
  }

  /** Ends the call with FAILED before any playback started (a request the player never saw). */
  void refuse(String error) {
    fail(error, 0);
  }

  private void fail(String error, long positionMs) {
    send(
        PlayAudioEvent.newBuilder()
            .setType(PlayAudioEvent.EventType.FAILED)
            .setRequestId(requestId)
            .setError(error)
            .setPositionMs(positionMs)
            .build());
    complete();
  }

  private void logEnd(String what) {
    try (var u = MDC.putCloseable("user_id", session.userId);
        var r = MDC.putCloseable("room", session.roomName);
        var q = MDC.putCloseable("request_id", requestId)) {
      log.info("playback {}", what);
    }
  }

  private void send(PlayAudioEvent event) {
    try {
      events.onNext(event);
    } catch (RuntimeException e) {
      log.debug("PlayAudio caller went away: {}", e.toString());
    }
  }

  private void complete() {
    try {
      events.onCompleted();
    } catch (RuntimeException e) {
      log.debug("PlayAudio caller went away: {}", e.toString());
    }
  }
}
