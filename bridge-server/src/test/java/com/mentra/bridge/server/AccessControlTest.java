package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.mentra.bridge.api.AudioChunk;
import com.mentra.bridge.api.BridgeStatusRequest;
import com.mentra.bridge.api.HealthCheckRequest;
import com.mentra.bridge.api.JoinRoomRequest;
import com.mentra.bridge.api.LeaveRoomRequest;
import com.mentra.bridge.api.LiveKitBridgeGrpc;
import com.mentra.bridge.api.PlayAudioRequest;
import com.mentra.bridge.api.StopAudioRequest;
import com.mentra.testing.TestEnvironment;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Who may call the bridge: without a credential, with a wrong one, or with an expired client
 * certificate, every LiveKitBridge RPC answers UNAUTHENTICATED and no room sees a participant;
 * grpc.health.v1 stays open; with the right credentials everything works, over TLS too.
 */
class AccessControlTest {
  private static void everyRpcIsRefused(ManagedChannel channel, BridgeHarness h, String room)
      throws Exception {
    var stub = LiveKitBridgeGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    Consumer<Runnable> refused =
        call -> {
          StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
          assertThat(e).as("expected UNAUTHENTICATED").isNotNull();
          assertThat(e.getStatus().getCode())
              .as(e.getStatus().toString())
              .isEqualTo(Status.Code.UNAUTHENTICATED);
        };
    refused.accept(
        () ->
            stub.joinRoom(
                JoinRoomRequest.newBuilder().setUserId("intruder").setRoomName(room).build()));
    refused.accept(() -> stub.healthCheck(HealthCheckRequest.getDefaultInstance()));
    refused.accept(
        () -> stub.getStatus(BridgeStatusRequest.newBuilder().setUserId("intruder").build()));
    refused.accept(
        () -> stub.leaveRoom(LeaveRoomRequest.newBuilder().setUserId("intruder").build()));
    refused.accept(
        () ->
            stub.stopAudio(
                StopAudioRequest.newBuilder().setUserId("intruder").setTrackId(-1).build()));
    refused.accept(
        () ->
            stub.playAudio(
                    PlayAudioRequest.newBuilder()
                        .setUserId("intruder")
                        .setAudioUrl("http://x/a.wav")
                        .build())
                .next());
    CompletableFuture<Throwable> streamEnd = new CompletableFuture<>();
    StreamObserver<AudioChunk> up =
        LiveKitBridgeGrpc.newStub(channel)
            .streamAudio(
                new StreamObserver<>() {
                  @Override
                  public void onNext(AudioChunk value) {}

                  @Override
                  public void onError(Throwable t) {
                    streamEnd.complete(t);
                  }

                  @Override
                  public void onCompleted() {
                    streamEnd.complete(null);
                  }
                });
    up.onNext(AudioChunk.newBuilder().setUserId("intruder").build());
    assertThat(Status.fromThrowable(streamEnd.get(10, TimeUnit.SECONDS)).getCode())
        .isEqualTo(Status.Code.UNAUTHENTICATED);
    // Probes stay open.
    assertThat(
            HealthGrpc.newBlockingStub(channel)
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance())
                .getStatus())
        .isEqualTo(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    Thread.sleep(500);
    assertThat(h.livekit.participantIdentities(room)).isEmpty();
    assertThat(h.bridge.sessionCount()).isZero();
  }

  @Test
  void withoutTheBearerTokenOrWithAWrongOneEveryRpcIsRefused() throws Exception {
    try (BridgeHarness h =
        new BridgeHarness(
            Map.of("BRIDGE_AUTH_TOKENS", "rotated-old-token-000," + BridgeHarness.TOKEN))) {
      String target = TestEnvironment.get().nodeIp();
      ManagedChannel none =
          NettyChannelBuilder.forAddress(target, h.bridge.port()).usePlaintext().build();
      ManagedChannel wrong =
          NettyChannelBuilder.forAddress(target, h.bridge.port())
              .usePlaintext()
              .intercept(BridgeHarness.bearer("not-the-token-at-all"))
              .build();
      ManagedChannel rotated =
          NettyChannelBuilder.forAddress(target, h.bridge.port())
              .usePlaintext()
              .intercept(BridgeHarness.bearer("rotated-old-token-000"))
              .build();
      try {
        everyRpcIsRefused(none, h, "acl-none");
        everyRpcIsRefused(wrong, h, "acl-wrong");
        // Both tokens of a rotation are accepted.
        assertThat(
                LiveKitBridgeGrpc.newBlockingStub(rotated)
                    .withDeadlineAfter(20, TimeUnit.SECONDS)
                    .joinRoom(
                        JoinRoomRequest.newBuilder()
                            .setUserId("rightful")
                            .setRoomName("acl-ok")
                            .build())
                    .getSuccess())
            .isTrue();
        assertThat(h.livekit.participantIdentities("acl-ok"))
            .containsExactly("cloud-agent:rightful");
      } finally {
        none.shutdownNow();
        wrong.shutdownNow();
        rotated.shutdownNow();
      }
    }
  }

  @Test
  void mutualTlsRefusesExpiredAndMissingClientCertificatesAndServesTheRightOne() throws Exception {
    Path dir = Files.createTempDirectory("lkb-tls");
    TestCertificates certs = new TestCertificates(dir, "bridge-test");
    TestCertificates.Issued server = certs.server(TestEnvironment.get().nodeIp());
    TestCertificates.Issued good = certs.client("backend", false);
    TestCertificates.Issued expired = certs.client("old-backend", true);
    TestCertificates stranger = new TestCertificates(dir, "stranger");
    TestCertificates.Issued foreign = stranger.client("foreign", false);
    try (BridgeHarness h =
        new BridgeHarness(
            Map.of(
                "TLS_CERT_FILE",
                server.certificate().toString(),
                "TLS_KEY_FILE",
                server.privateKey().toString(),
                "TLS_CLIENT_CA_FILE",
                certs.caFile.toString()))) {
      ManagedChannel withExpired = tlsChannel(h, certs, expired, true);
      ManagedChannel withForeign = tlsChannel(h, certs, foreign, true);
      ManagedChannel withoutCert = tlsChannel(h, certs, null, true);
      ManagedChannel rightful = tlsChannel(h, certs, good, true);
      try {
        everyRpcIsRefused(withExpired, h, "tls-expired");
        everyRpcIsRefused(withForeign, h, "tls-foreign");
        everyRpcIsRefused(withoutCert, h, "tls-none");
        var stub =
            LiveKitBridgeGrpc.newBlockingStub(rightful).withDeadlineAfter(20, TimeUnit.SECONDS);
        assertThat(
                stub.joinRoom(
                        JoinRoomRequest.newBuilder()
                            .setUserId("tls-user")
                            .setRoomName("tls-ok")
                            .build())
                    .getSuccess())
            .isTrue();
        assertThat(
                stub.getStatus(BridgeStatusRequest.newBuilder().setUserId("tls-user").build())
                    .getConnected())
            .isTrue();
        assertThat(
                stub.leaveRoom(LeaveRoomRequest.newBuilder().setUserId("tls-user").build())
                    .getSuccess())
            .isTrue();
      } finally {
        for (ManagedChannel c :
            new ManagedChannel[] {withExpired, withForeign, withoutCert, rightful}) c.shutdownNow();
      }
    }
  }

  private static ManagedChannel tlsChannel(
      BridgeHarness h, TestCertificates certs, TestCertificates.Issued client, boolean token)
      throws Exception {
    SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(certs.caFile.toFile());
    if (client != null) ssl.keyManager(client.certificate().toFile(), client.privateKey().toFile());
    NettyChannelBuilder builder =
        NettyChannelBuilder.forAddress(TestEnvironment.get().nodeIp(), h.bridge.port())
            .sslContext(ssl.build());
    if (token) builder.intercept(BridgeHarness.bearer(BridgeHarness.TOKEN));
    return builder.build();
  }

  @Test
  void aRoomNamePatternKeepsAStolenTokenOutOfOtherRooms() throws Exception {
    try (BridgeHarness h = new BridgeHarness(Map.of("ROOM_NAME_PATTERN", "^user-[a-z0-9-]+$"))) {
      StatusRuntimeException e =
          catchThrowableOfType(
              StatusRuntimeException.class,
              () ->
                  h.stub()
                      .joinRoom(
                          JoinRoomRequest.newBuilder()
                              .setUserId("u")
                              .setRoomName("board-meeting")
                              .build()));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(
              h.stub()
                  .joinRoom(
                      JoinRoomRequest.newBuilder().setUserId("u").setRoomName("user-u").build())
                  .getSuccess())
          .isTrue();
    }
  }
}
