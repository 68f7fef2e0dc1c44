package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.mentra.bridge.api.BridgeStatusRequest;
import com.mentra.bridge.api.BridgeStatusResponse;
import com.mentra.bridge.api.HealthCheckResponse;
import com.mentra.bridge.api.JoinRoomRequest;
import com.mentra.bridge.api.JoinRoomResponse;
import com.mentra.bridge.api.LeaveRoomRequest;
import com.mentra.bridge.api.PlayAudioRequest;
import com.mentra.bridge.api.StopAudioRequest;
import com.mentra.testing.Poll;
import com.mentra.testing.TestEnvironment;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Session lifecycle and the errors the existing client expects, through the real gRPC API. */
class BridgeSessionTest {
  private static BridgeHarness h;

  @BeforeAll
  static void start() throws Exception {
    h = new BridgeHarness();
  }

  @AfterAll
  static void stop() throws Exception {
    if (h != null) h.close();
  }

  @AfterEach
  void noSessionLeaks() {
    // Every test leaves; the bridge must be back to zero sessions and streams.
    Poll.forValue(
        () -> {
          HealthCheckResponse health = h.health();
          return health.getActiveSessions() == 0 && h.bridge.streamCount() == 0 ? true : null;
        },
        Duration.ofSeconds(5),
        "sessions and streams back to 0, now " + h.health());
  }

  private static Status.Code codeOf(Runnable call) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("expected a gRPC error status").isNotNull();
    System.out.println("-> " + e.getStatus());
    return e.getStatus().getCode();
  }

  @Test
  void joiningTwiceLeavesExactlyOneParticipantAndStatusFollows() throws Exception {
    JoinRoomResponse first = h.join("twice", "replace-room", "");
    JoinRoomResponse second = h.join("twice", "replace-room", "");
    assertThat(first.getSuccess()).isTrue();
    assertThat(second.getSuccess()).isTrue();
    // Without a token the bridge mints one for cloud-agent:{user_id}, as the cloud does; that is
    // its participant_id.
    assertThat(first.getParticipantId()).isEqualTo("cloud-agent:twice");
    assertThat(second.getParticipantId()).isEqualTo("cloud-agent:twice");
    assertThat(second.getMetadataMap().get("participant_sid"))
        .startsWith("PA_")
        .isNotEqualTo(first.getMetadataMap().get("participant_sid"));
    Poll.until(
        () ->
            h.livekit
                .participantIdentities("replace-room")
                .equals(java.util.List.of("cloud-agent:twice")),
        Duration.ofSeconds(5),
        "exactly one 'cloud-agent:twice' in the room, seen "
            + h.livekit.participantIdentities("replace-room"));
    BridgeStatusResponse status =
        h.stub().getStatus(BridgeStatusRequest.newBuilder().setUserId("twice").build());
    assertThat(status.getConnected()).isTrue();
    assertThat(status.getParticipantId()).isEqualTo(second.getParticipantId());
    assertThat(status.getConnectionState()).isEqualTo("CONNECTED");
    assertThat(status.getServerVersion()).isEqualTo(BridgeVersion.VALUE).isNotEqualTo("unknown");
    assertThat(status.getLivekitServerVersion()).isEqualTo("1.13.5");
    assertThat(status.getStats().getRoomName()).isEqualTo("replace-room");
    assertThat(h.health().getActiveSessions()).isEqualTo(1);
    assertThat(
            h.stub()
                .leaveRoom(LeaveRoomRequest.newBuilder().setUserId("twice").build())
                .getSuccess())
        .isTrue();
    Poll.until(
        () -> h.livekit.participantIdentities("replace-room").isEmpty(),
        Duration.ofSeconds(3),
        "room empty");
  }

  @Test
  void malformedCallsGetStatusCodes() {
    assertThat(
            codeOf(() -> h.stub().joinRoom(JoinRoomRequest.newBuilder().setRoomName("r").build())))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(codeOf(() -> h.stub().joinRoom(JoinRoomRequest.newBuilder().setUserId("u").build())))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(codeOf(() -> h.stub().getStatus(BridgeStatusRequest.newBuilder().build())))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(codeOf(() -> h.stub().leaveRoom(LeaveRoomRequest.newBuilder().build())))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(
            codeOf(
                () ->
                    h.stub()
                        .stopAudio(
                            StopAudioRequest.newBuilder().setUserId("u").setTrackId(32).build())))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(
            codeOf(
                () ->
                    h.stub()
                        .playAudio(PlayAudioRequest.newBuilder().setUserId("u").build())
                        .next()))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(
            codeOf(
                () ->
                    h.stub()
                        .playAudio(
                            PlayAudioRequest.newBuilder()
                                .setUserId("u")
                                .setAudioUrl("http://x/a.wav")
                                .setVolume(-1)
                                .build())
                        .next()))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void expectedFailuresAnswerSuccessFalseWithAClearError() throws Exception {
    var leave = h.stub().leaveRoom(LeaveRoomRequest.newBuilder().setUserId("nobody").build());
    assertThat(leave.getSuccess()).isFalse();
    assertThat(leave.getError()).contains("no session");

    // The cloud asks for status on every reconnect check: no session is an answer, not an error.
    BridgeStatusResponse unknown =
        h.stub().getStatus(BridgeStatusRequest.newBuilder().setUserId("nobody").build());
    assertThat(unknown.getConnected()).isFalse();
    assertThat(unknown.getParticipantId()).isEmpty();

    var stop =
        h.stub()
            .stopAudio(StopAudioRequest.newBuilder().setUserId("nobody").setTrackId(-1).build());
    assertThat(stop.getSuccess()).isFalse();
    assertThat(stop.getError()).contains("no session");

    var play =
        h.stub()
            .playAudio(
                PlayAudioRequest.newBuilder()
                    .setUserId("nobody")
                    .setRequestId("r1")
                    .setAudioUrl("http://x/a.wav")
                    .build())
            .next();
    assertThat(play.getType()).isEqualTo(com.mentra.bridge.api.PlayAudioEvent.EventType.FAILED);
    assertThat(play.getError()).contains("no session");

    JoinRoomResponse badToken =
        h.stub()
            .joinRoom(
                JoinRoomRequest.newBuilder()
                    .setUserId("u")
                    .setRoomName("r")
                    .setToken("garbage")
                    .build());
    System.out.println("malformed token -> " + badToken.getError());
    assertThat(badToken.getSuccess()).isFalse();
    assertThat(badToken.getError()).contains("UNAUTHORIZED");

    int port = BridgeHarness.freePort();
    JoinRoomResponse nobody =
        h.stub()
            .joinRoom(
                JoinRoomRequest.newBuilder()
                    .setUserId("u")
                    .setRoomName("r")
                    .setLivekitUrl("ws://" + TestEnvironment.get().nodeIp() + ":" + port)
                    .build());
    System.out.println("dead url -> " + nobody.getError());
    assertThat(nobody.getSuccess()).isFalse();
    assertThat(nobody.getError()).contains("UNREACHABLE");

    JoinRoomResponse badUrl =
        h.stub()
            .joinRoom(
                JoinRoomRequest.newBuilder()
                    .setUserId("u")
                    .setRoomName("r")
                    .setLivekitUrl("ftp://nowhere")
                    .build());
    assertThat(badUrl.getSuccess()).isFalse();
    assertThat(badUrl.getError()).contains("INVALID_URL");
  }

  @Test
  void garbageChunksAndVanishingClientsDoNotHurtTheBridge() throws Exception {
    assertThat(h.join("garbage", "garbage-room", "").getSuccess()).isTrue();
    BridgeHarness.AudioStream stream = h.openStream("garbage");
    stream.send(new byte[1], 16_000, 1);
    stream.send(new byte[3], 16_000, 1);
    stream.send(new byte[3201], 0, 0);
    stream.send(new byte[6], 48_000, 2); // not a whole stereo frame
    Thread.sleep(300);
    assertThat(stream.error).isNull();
    assertThat(h.bridge.streamCount()).isEqualTo(1);

    // Unplayable chunks are dropped and counted; the call (and its room-to-client audio) stays
    // open.
    long malformedBefore = h.bridge.malformedChunks();
    stream.send(new byte[320], 96_000, 1);
    stream.send(new byte[320], 16_000, 3);
    stream.send(new byte[UplinkChunks.MAX_CHUNK_BYTES + 2], 16_000, 1);
    Poll.until(
        () -> h.bridge.malformedChunks() >= malformedBefore + 3,
        Duration.ofSeconds(5),
        "bad chunks counted");
    assertThat(stream.error).isNull();
    assertThat(stream.completed).isFalse();
    stream.finish();

    BridgeHarness.AudioStream vanishing = h.openStream("garbage");
    Poll.until(() -> h.bridge.streamCount() == 1, Duration.ofSeconds(5), "stream registered");
    vanishing.send(new byte[3200], 16_000, 1);
    vanishing.cancel();
    Poll.until(
        () -> h.bridge.streamCount() == 0, Duration.ofSeconds(5), "stream released after cancel");
    assertThat(h.health().getActiveSessions()).isEqualTo(1);
    assertThat(
            h.stub()
                .leaveRoom(LeaveRoomRequest.newBuilder().setUserId("garbage").build())
                .getSuccess())
        .isTrue();
  }

  @Test
  void aJoinTheClientAbandonsDoesNotLeaveASessionBehind() throws Exception {
    // The deadline expires while the bridge is still connecting: the signalling path is held for
    // 700 ms by a relay, so the join always outlasts the 300 ms deadline, then succeeds.
    h.health();
    try (com.mentra.testing.SignalCutter slow =
        com.mentra.testing.SignalCutter.inFrontOf(h.livekit)
            .delayNewConnections(Duration.ofMillis(700))) {
      Status.Code code =
          codeOf(
              () ->
                  h.blocking
                      .withDeadlineAfter(300, java.util.concurrent.TimeUnit.MILLISECONDS)
                      .joinRoom(
                          JoinRoomRequest.newBuilder()
                              .setUserId("abandoned")
                              .setRoomName("abandon-room")
                              .setLivekitUrl(slow.wsUrl())
                              .build()));
      assertThat(code).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
      Poll.until(
          () -> slow.acceptedConnections() > 0,
          Duration.ofSeconds(5),
          "the bridge to start joining");
      Thread.sleep(2_500);
      assertThat(h.health().getActiveSessions()).isZero();
      assertThat(h.livekit.participantIdentities("abandon-room")).isEmpty();
    }
  }

  @Test
  void streamWithoutAUserIsRefused() throws Exception {
    BridgeHarness.AudioStream anonymous = h.openStream("");
    Poll.forValue(() -> anonymous.error, Duration.ofSeconds(5), "refusal");
    assertThat(Status.fromThrowable(anonymous.error).getCode())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
  }
}
