package com.mentra.bridge.server;

import com.mentra.bridge.api.PlayAudioEvent;
import com.mentra.bridge.api.PlayAudioRequest;
import com.mentra.livekit.rtc.Room;
import io.grpc.stub.StreamObserver;
import java.util.List;

/** Plays audio URLs into one session's room (PlayAudio / StopAudio). Thread-safe. */
interface PlaybackController extends AutoCloseable {
  /** Creates a session's controller once its room is joined. */
  @FunctionalInterface
  interface Factory {
    PlaybackController create(BridgeSession session, Room room);
  }

  /**
   * Starts a playback; events go to {@code events}, which is completed after the terminal event
   * (COMPLETED, possibly with a stop reason, or FAILED). Never blocks the caller.
   */
  void play(PlayAudioRequest request, StreamObserver<PlayAudioEvent> events);

  /** Stops what plays on {@code trackId}, or everything for -1; returns the request ids that were playing. */
  List<String> stop(int trackId);

  /** Stops everything and releases the published tracks; idempotent. */
  @Override
  void close();
}
