package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.mentra.bridge.api.BridgeStatusRequest;
import com.mentra.bridge.api.JoinRoomRequest;
import com.mentra.bridge.api.LeaveRoomRequest;
import com.mentra.bridge.api.PlayAudioRequest;
import com.mentra.bridge.api.StopAudioRequest;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

/** The validator alone, without a server: codes and the exact messages clients see. */
class RequestValidatorTest {
  private final RequestValidator any = new RequestValidator("");
  private final RequestValidator userRooms = new RequestValidator("^user-[a-z0-9-]+$");

  @Test
  void joinRoomNeedsUserAndRoomAndAnAllowedRoom() {
    assertRefused(
        any.joinRoom(JoinRoomRequest.newBuilder().setRoomName("r").build()),
        Status.Code.INVALID_ARGUMENT,
        "user_id is required");
    assertRefused(
        any.joinRoom(JoinRoomRequest.newBuilder().setUserId("u").setRoomName(" ").build()),
        Status.Code.INVALID_ARGUMENT,
        "room_name is required");
    assertRefused(
        userRooms.joinRoom(
            JoinRoomRequest.newBuilder().setUserId("u").setRoomName("other").build()),
        Status.Code.PERMISSION_DENIED,
        "room_name 'other' is not one this bridge may join (ROOM_NAME_PATTERN)");
    assertThat(
            userRooms.joinRoom(
                JoinRoomRequest.newBuilder().setUserId("u").setRoomName("user-1").build()))
        .isNull();
    assertThat(
            any.joinRoom(JoinRoomRequest.newBuilder().setUserId("u").setRoomName("other").build()))
        .isNull();
  }

  @Test
  void userOnlyCallsNeedAUser() {
    assertRefused(
        any.leaveRoom(LeaveRoomRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT,
        "user_id is required");
    assertRefused(
        any.getStatus(BridgeStatusRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT,
        "user_id is required");
    assertThat(any.leaveRoom(LeaveRoomRequest.newBuilder().setUserId("u").build())).isNull();
    assertThat(any.getStatus(BridgeStatusRequest.newBuilder().setUserId("u").build())).isNull();
  }

  @Test
  void playAudioChecksUrlVolumeAndTrack() {
    PlayAudioRequest ok =
        PlayAudioRequest.newBuilder().setUserId("u").setAudioUrl("http://x/a.wav").build();
    assertThat(any.playAudio(ok)).isNull();
    assertRefused(
        any.playAudio(ok.toBuilder().clearUserId().build()),
        Status.Code.INVALID_ARGUMENT,
        "user_id is required");
    assertRefused(
        any.playAudio(ok.toBuilder().setAudioUrl("").build()),
        Status.Code.INVALID_ARGUMENT,
        "audio_url is required");
    assertRefused(
        any.playAudio(ok.toBuilder().setVolume(Float.NaN).build()),
        Status.Code.INVALID_ARGUMENT,
        "volume must be a finite gain >= 0 (0 means 1), got NaN");
    assertRefused(
        any.playAudio(ok.toBuilder().setVolume(-1).build()),
        Status.Code.INVALID_ARGUMENT,
        "volume must be a finite gain >= 0 (0 means 1), got -1.0");
    assertRefused(
        any.playAudio(ok.toBuilder().setTrackId(32).build()),
        Status.Code.INVALID_ARGUMENT,
        "track_id must be between 0 and 31 (0 speaker, 1 app_audio, 2 tts, N track_N)");
  }

  @Test
  void stopAudioTakesMinusOneForEveryTrack() {
    assertThat(any.stopAudio(StopAudioRequest.newBuilder().setUserId("u").setTrackId(-1).build()))
        .isNull();
    assertThat(any.stopAudio(StopAudioRequest.newBuilder().setUserId("u").setTrackId(31).build()))
        .isNull();
    assertRefused(
        any.stopAudio(StopAudioRequest.newBuilder().setUserId("u").setTrackId(-2).build()),
        Status.Code.INVALID_ARGUMENT,
        "track_id must be -1 (all tracks) or between 0 and 31");
    assertRefused(
        any.stopAudio(StopAudioRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT,
        "user_id is required");
  }

  @Test
  void streamAudioFirstMessageNamesTheUser() {
    assertThat(RequestValidator.streamAudioFirstMessage("u")).isNull();
    assertRefused(
        RequestValidator.streamAudioFirstMessage(""),
        Status.Code.INVALID_ARGUMENT,
        "the first StreamAudio message must name the user (user_id field or user-id metadata)");
  }

  private static void assertRefused(Status status, Status.Code code, String description) {
    assertThat(status).isNotNull();
    assertThat(status.getCode()).isEqualTo(code);
    assertThat(status.getDescription()).isEqualTo(description);
  }
}
