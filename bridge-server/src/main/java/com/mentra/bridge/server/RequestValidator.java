package com.mentra.bridge.server;

import com.mentra.bridge.api.BridgeStatusRequest;
import com.mentra.bridge.api.JoinRoomRequest;
import com.mentra.bridge.api.LeaveRoomRequest;
import com.mentra.bridge.api.PlayAudioRequest;
import com.mentra.bridge.api.StopAudioRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.regex.Pattern;

/**
 * What makes a request malformed, in one place: each check returns the status the call is refused
 * with (INVALID_ARGUMENT naming the field and what it must be, or PERMISSION_DENIED for a room
 * outside ROOM_NAME_PATTERN), or null when the request may proceed. Failures that are answers
 * rather than malformed calls (no session, a join LiveKit refused) are not here: the service
 * reports them with success=false as the existing client expects. StreamAudio's chunks after the
 * first message have their own drop-and-count policy in {@link UplinkChunks}. Immutable;
 * thread-safe.
 */
final class RequestValidator {
  private static final Status USER_ID_REQUIRED = invalid("user_id is required");

  /** Null when any room may be joined. */
  private final Pattern roomNamePattern;

  /**
   * @param roomNamePattern ROOM_NAME_PATTERN (already checked by {@link BridgeConfig}), empty for
   *     any room
   */
  RequestValidator(String roomNamePattern) {
    this.roomNamePattern = roomNamePattern.isEmpty() ? null : Pattern.compile(roomNamePattern);
  }

  /**
   * Answers {@code responses} with {@code refusal} and returns true; returns false when it is null.
   */
  static boolean refused(Status refusal, StreamObserver<?> responses) {
    if (refusal == null) return false;
    responses.onError(refusal.asRuntimeException());
    return true;
  }

  Status joinRoom(JoinRoomRequest request) {
    if (request.getUserId().isBlank()) return USER_ID_REQUIRED;
    if (request.getRoomName().isBlank()) return invalid("room_name is required");
    if (roomNamePattern != null && !roomNamePattern.matcher(request.getRoomName()).matches()) {
      return Status.PERMISSION_DENIED.withDescription(
          "room_name '"
              + request.getRoomName()
              + "' is not one this bridge may join (ROOM_NAME_PATTERN)");
    }
    return null;
  }

  Status leaveRoom(LeaveRoomRequest request) {
    return request.getUserId().isBlank() ? USER_ID_REQUIRED : null;
  }

  Status getStatus(BridgeStatusRequest request) {
    return request.getUserId().isBlank() ? USER_ID_REQUIRED : null;
  }

  Status playAudio(PlayAudioRequest request) {
    if (request.getUserId().isBlank()) return USER_ID_REQUIRED;
    if (request.getAudioUrl().isBlank()) return invalid("audio_url is required");
    // Written so that NaN fails too (every comparison with NaN is false).
    if (!(request.getVolume() >= 0 && Float.isFinite(request.getVolume()))) {
      return invalid("volume must be a finite gain >= 0 (0 means 1), got " + request.getVolume());
    }
    if (!TrackNames.isValid(request.getTrackId())) {
      return invalid(
          "track_id must be between 0 and "
              + TrackNames.MAX_TRACK_ID
              + " (0 speaker, 1 app_audio, 2 tts, N track_N)");
    }
    return null;
  }

  Status stopAudio(StopAudioRequest request) {
    if (request.getUserId().isBlank()) return USER_ID_REQUIRED;
    // -1 stops every track.
    if (request.getTrackId() != -1 && !TrackNames.isValid(request.getTrackId())) {
      return invalid(
          "track_id must be -1 (all tracks) or between 0 and " + TrackNames.MAX_TRACK_ID);
    }
    return null;
  }

  /**
   * StreamAudio's first message must name the user, in its user_id or the call's {@code user-id}
   * metadata; {@code namedUser} is whichever it gave (empty when neither).
   */
  static Status streamAudioFirstMessage(String namedUser) {
    return namedUser.isEmpty()
        ? invalid(
            "the first StreamAudio message must name the user (user_id field or user-id metadata)")
        : null;
  }

  private static Status invalid(String problem) {
    return Status.INVALID_ARGUMENT.withDescription(problem);
  }
}
