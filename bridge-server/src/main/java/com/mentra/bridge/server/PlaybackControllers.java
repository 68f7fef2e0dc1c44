package com.mentra.bridge.server;

import com.mentra.bridge.api.PlayAudioEvent;
import com.mentra.bridge.api.PlayAudioRequest;
import com.mentra.bridge.dsp.AudioClock;
import com.mentra.bridge.audio.fetch.FetchPolicy;
import com.mentra.bridge.audio.playback.PcmOutput;
import com.mentra.bridge.audio.playback.PlayRequest;
import com.mentra.bridge.audio.playback.PlaybackConfig;
import com.mentra.bridge.audio.playback.PlaybackEngine;
import com.mentra.bridge.audio.playback.PlaybackError;
import com.mentra.bridge.audio.playback.PlaybackHandle;
import com.mentra.bridge.audio.playback.PlaybackListener;
import com.mentra.bridge.audio.playback.Player;
import com.mentra.bridge.audio.playback.StopReason;
import com.mentra.livekit.rtc.LocalAudioTrack;
import com.mentra.livekit.rtc.LocalAudioTrackOptions;
import com.mentra.livekit.rtc.Room;
import com.mentra.livekit.rtc.TrackSource;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Wires the audio module's playback engine to sessions: one {@link Player} per session, and per
 * track id ("speaker", "app_audio", "tts") a separate published LiveKit track, so different
 * tracks play at once and listeners can tell them apart. Tracks are published on first use and
 * unpublished after the engine's idle period.
 */
final class PlaybackControllers {
  private static final Logger log = LoggerFactory.getLogger(PlaybackControllers.class);

  private PlaybackControllers() {}

  static PlaybackController.Factory factory(BridgeConfig config, AudioClock clock, BridgeMetrics metrics) {
    FetchPolicy fetch = FetchPolicy.defaults()
        .withAllowPrivateAddresses(config.allowPrivateAudioUrls())
        .withMaxBytes(config.maxAudioBytes());
    PlaybackConfig playback = PlaybackConfig.defaults().withFetch(fetch).withMaxDuration(Duration.ofSeconds(config.maxAudioSeconds()));
    PlaybackEngine engine = new PlaybackEngine(playback, clock);
    return (session, room) -> new SessionPlayback(session, engine.newPlayer(trackId -> openTrack(room, trackId)), metrics);
  }

  private static PcmOutput openTrack(Room room, int trackId) throws Exception {
    LocalAudioTrack track = room.publishAudio(new LocalAudioTrackOptions(TrackNames.playback(trackId), TrackSource.MICROPHONE));
    return new PcmOutput() {
      @Override
      public void write(short[] frame) {
        track.pushFrame(frame, 48_000, 1);
      }

      @Override
      public boolean listening() {
        return track.listening();
      }

      @Override
      public void close() {
        track.unpublish();
      }
    };
  }

  /** One session's PlayAudio/StopAudio. */
  private static final class SessionPlayback implements PlaybackController {
    private final BridgeSession session;
    private final Player player;
    private final BridgeMetrics metrics;

    SessionPlayback(BridgeSession session, Player player, BridgeMetrics metrics) {
      this.session = session;
      this.player = player;
      this.metrics = metrics;
    }

    @Override
    public void play(PlayAudioRequest request, StreamObserver<PlayAudioEvent> events) {
      String requestId = request.getRequestId();
      URI uri;
      try {
        uri = new URI(request.getAudioUrl().trim());
      } catch (URISyntaxException e) {
        send(events, failed(requestId, "malformed audio_url: " + e.getMessage(), 0));
        complete(events);
        return;
      }
      try (var u = MDC.putCloseable("user_id", session.userId); var r = MDC.putCloseable("room", session.roomName);
          var q = MDC.putCloseable("request_id", requestId)) {
        log.info("play {} on track {} (volume {}, stop_other {})", uri, request.getTrackId(), request.getVolume(), request.getStopOther());
      }
      PlaybackHandle handle = player.play(new PlayRequest(requestId, uri, request.getVolume(), request.getTrackId(), request.getStopOther()),
          new EventForwarder(session, requestId, events, metrics));
      // A caller that cancels its PlayAudio call (or passes its deadline) no longer wants the
      // sound: end this playback, and only this one.
      if (events instanceof ServerCallStreamObserver<PlayAudioEvent> call) {
        call.setOnCancelHandler(handle::cancel);
        if (call.isCancelled()) handle.cancel();
      }
    }

    @Override
    public List<String> stop(int trackId) {
      return player.stop(trackId);
    }

    @Override
    public void close() {
      player.close();
    }
  }

  /** Turns playback callbacks into PlayAudioEvents; ends the call after the terminal event. */
  private static final class EventForwarder implements PlaybackListener {
    private final BridgeSession session;
    private final String requestId;
    private final StreamObserver<PlayAudioEvent> events;
    private final BridgeMetrics metrics;

    EventForwarder(BridgeSession session, String requestId, StreamObserver<PlayAudioEvent> events, BridgeMetrics metrics) {
      this.session = session;
      this.requestId = requestId;
      this.events = events;
      this.metrics = metrics;
    }

    @Override
    public void onStarted(long durationMs) {
      send(events, PlayAudioEvent.newBuilder().setType(PlayAudioEvent.EventType.STARTED).setRequestId(requestId).setDurationMs(durationMs).build());
    }

    @Override
    public void onProgress(long positionMs, long durationMs) {
      send(events, PlayAudioEvent.newBuilder().setType(PlayAudioEvent.EventType.PROGRESS).setRequestId(requestId)
          .setPositionMs(positionMs).setDurationMs(durationMs).build());
    }

    @Override
    public void onCompleted(long durationMs, StopReason reason) {
      logEnd("completed after " + durationMs + " ms" + (reason == null ? "" : " (" + reason + ")"));
      metrics.playbackEnded(reason == null ? "completed" : reason.name().toLowerCase(Locale.ROOT));
      PlayAudioEvent.Builder completed = PlayAudioEvent.newBuilder().setType(PlayAudioEvent.EventType.COMPLETED)
          .setRequestId(requestId).setDurationMs(durationMs).setPositionMs(durationMs);
      if (reason != null) {
        // Upstream's contract carries it in metadata; field 7 has the same value.
        String stopReason = reason.name().toLowerCase(Locale.ROOT);
        completed.putMetadata("stop_reason", stopReason).setStopReason(stopReason);
      }
      send(events, completed.build());
      complete(events);
    }

    @Override
    public void onFailed(PlaybackError error, long positionMs) {
      logEnd("failed at " + positionMs + " ms: " + error.message());
      metrics.playbackEnded("failed");
      send(events, failed(requestId, error.message(), positionMs));
      complete(events);
    }

    private void logEnd(String what) {
      try (var u = MDC.putCloseable("user_id", session.userId); var r = MDC.putCloseable("room", session.roomName);
          var q = MDC.putCloseable("request_id", requestId)) {
        log.info("playback {}", what);
      }
    }
  }

  private static PlayAudioEvent failed(String requestId, String error, long positionMs) {
    return PlayAudioEvent.newBuilder().setType(PlayAudioEvent.EventType.FAILED).setRequestId(requestId).setError(error).setPositionMs(positionMs).build();
  }

  private static void send(StreamObserver<PlayAudioEvent> events, PlayAudioEvent event) {
    try {
      events.onNext(event);
    } catch (RuntimeException e) {
      log.debug("PlayAudio caller went away: {}", e.toString());
    }
  }

  private static void complete(StreamObserver<PlayAudioEvent> events) {
    try {
      events.onCompleted();
    } catch (RuntimeException e) {
      log.debug("PlayAudio caller went away: {}", e.toString());
    }
  }
}
