package com.mentra.bridge.load;

import com.mentra.bridge.api.JoinRoomRequest;
import com.mentra.bridge.api.JoinRoomResponse;
import com.mentra.bridge.api.LeaveRoomRequest;
import com.mentra.bridge.api.LiveKitBridgeGrpc;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The run's one gRPC channel to the bridge, with the bearer token on every call, as the cloud calls
 * it. Thread-safe: gRPC stubs are.
 */
final class BridgeClient implements AutoCloseable {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private final ManagedChannel channel;
  final LiveKitBridgeGrpc.LiveKitBridgeBlockingStub blocking;
  final LiveKitBridgeGrpc.LiveKitBridgeStub async;

  BridgeClient(String address, String token) {
    channel =
        NettyChannelBuilder.forTarget(address)
            .usePlaintext()
            .directExecutor()
            .maxInboundMessageSize(8 << 20)
            .build();
    CallCredentials credentials = bearer(token);
    blocking = LiveKitBridgeGrpc.newBlockingStub(channel).withCallCredentials(credentials);
    async = LiveKitBridgeGrpc.newStub(channel).withCallCredentials(credentials);
  }

  /**
   * One session joined and left, so that what the first session creates for all (peer connection
   * factories, pools) counts as the idle bridge's fixed cost, not as the sessions' cost.
   */
  void warmUp() {
    try {
      JoinRoomResponse r =
          blocking
              .withDeadlineAfter(60, TimeUnit.SECONDS)
              .joinRoom(
                  JoinRoomRequest.newBuilder()
                      .setUserId("warmup")
                      .setRoomName("load-warmup")
                      .build());
      if (!r.getSuccess()) throw new IllegalStateException(r.getError());
      blocking
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .leaveRoom(
              LeaveRoomRequest.newBuilder().setUserId("warmup").setReason("warm-up").build());
    } catch (RuntimeException e) {
      throw new IllegalStateException("the warm-up session failed: " + e.getMessage(), e);
    }
  }

  private static CallCredentials bearer(String token) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(
          RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        if (token != null && !token.isEmpty()) headers.put(AUTHORIZATION, "Bearer " + token);
        applier.apply(headers);
      }
    };
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
