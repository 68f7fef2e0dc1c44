package com.mentra.bridge.server;

import com.mentra.bridge.api.AudioChunk;
import com.mentra.bridge.api.HealthCheckRequest;
import com.mentra.bridge.api.HealthCheckResponse;
import com.mentra.bridge.api.JoinRoomRequest;
import com.mentra.bridge.api.JoinRoomResponse;
import com.mentra.bridge.api.LiveKitBridgeGrpc;
import com.mentra.testing.LiveKitServerProcess;
import com.mentra.testing.TestEnvironment;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A real bridge (in this JVM, inside the test namespace) on a real LiveKit server, plus a client.
 */
final class BridgeHarness implements AutoCloseable {
  final LiveKitServerProcess livekit;
  final BridgeServer bridge;
  final ManagedChannel channel;
  final LiveKitBridgeGrpc.LiveKitBridgeBlockingStub blocking;
  final LiveKitBridgeGrpc.LiveKitBridgeStub async;

  BridgeHarness(Map<String, String> extraEnv) throws Exception {
    livekit = LiveKitServerProcess.start();
    Map<String, String> env = new HashMap<>();
    env.put("BIND_ADDRESS", TestEnvironment.get().nodeIp());
    env.put("LIVEKIT_URL", livekit.wsUrl());
    env.put("LIVEKIT_API_KEY", livekit.apiKey());
    env.put("LIVEKIT_API_SECRET", livekit.apiSecret());
    env.put("AUDIO_URL_ALLOW_PRIVATE", "true");
    env.put(
        "METRICS_PORT", "0"); // several bridges share this JVM; a test that scrapes picks a port
    env.put(
        "BRIDGE_AUTH_TOKENS",
        TOKEN); // the harness's channel presents it; tests of unauthenticated callers override
    env.putAll(extraEnv);
    env.put("PORT", String.valueOf(freePort()));
    bridge = new BridgeServer(BridgeConfig.from(env)).start();
    channel = channelTo(bridge);
    blocking = LiveKitBridgeGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.HOURS);
    async = LiveKitBridgeGrpc.newStub(channel);
  }

  /** The bearer token harness bridges require and harness channels send. */
  static final String TOKEN = "harness-token-0123456789";

  /** Adds {@code authorization: Bearer <token>} to every call. */
  static io.grpc.ClientInterceptor bearer(String token) {
    io.grpc.Metadata.Key<String> key =
        io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER);
    io.grpc.Metadata headers = new io.grpc.Metadata();
    headers.put(key, "Bearer " + token);
    return io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers);
  }

  /** A plaintext channel to the bridge: TCP, or its Unix domain socket when it listens on one. */
  static ManagedChannel channelTo(BridgeServer bridge) {
    String target = bridge.target();
    if (target.startsWith("unix:")) {
      return NettyChannelBuilder.forAddress(
              new io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress(
                  target.substring(5)))
          .eventLoopGroup(UNIX_CLIENT_LOOP)
          .channelType(io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel.class)
          .usePlaintext()
          .intercept(bearer(TOKEN))
          .build();
    }
    return NettyChannelBuilder.forAddress(TestEnvironment.get().nodeIp(), bridge.port())
        .usePlaintext()
        .intercept(bearer(TOKEN))
        .build();
  }

  private static final io.grpc.netty.shaded.io.netty.channel.EventLoopGroup UNIX_CLIENT_LOOP =
      new io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup(
          1, Thread.ofPlatform().daemon().factory());

  BridgeHarness() throws Exception {
    this(Map.of());
  }

  static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(
            0, 1, java.net.InetAddress.getByName(TestEnvironment.get().nodeIp()))) {
      return s.getLocalPort();
    }
  }

  LiveKitBridgeGrpc.LiveKitBridgeBlockingStub stub() {
    return blocking.withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  JoinRoomResponse join(String userId, String room, String target) {
    return stub()
        .joinRoom(
            JoinRoomRequest.newBuilder()
                .setUserId(userId)
                .setRoomName(room)
                .setTargetIdentity(target)
                .build());
  }

  HealthCheckResponse health() {
    return stub().healthCheck(HealthCheckRequest.getDefaultInstance());
  }

  /** A StreamAudio call whose received chunks are collected; reading can be paused. */
  final class AudioStream implements ClientResponseObserver<AudioChunk, AudioChunk> {
    final List<AudioChunk> received = new CopyOnWriteArrayList<>();

    /**
     * Arrival wall-clock time of each received chunk (µs since the epoch, see TestPeer.nowMicros).
     */
    final List<Long> receivedAtMicros = new CopyOnWriteArrayList<>();

    volatile Throwable error;
    volatile boolean completed;
    private ClientCallStreamObserver<AudioChunk> call;
    private final boolean manualFlow;

    AudioStream(String userId, boolean manualFlow) {
      this.manualFlow = manualFlow;
      async.streamAudio(this);
      call.onNext(AudioChunk.newBuilder().setUserId(userId).build());
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<AudioChunk> requestStream) {
      call = requestStream;
      if (manualFlow) requestStream.disableAutoRequestWithInitial(0);
    }

    void request(int n) {
      call.request(n);
    }

    void send(byte[] pcm, int rate, int channels) {
      call.onNext(
          AudioChunk.newBuilder()
              .setPcmData(com.google.protobuf.ByteString.copyFrom(pcm))
              .setSampleRate(rate)
              .setChannels(channels)
              .build());
    }

    void send(AudioChunk chunk) {
      call.onNext(chunk);
    }

    void cancel() {
      call.cancel("test cancels", null);
    }

    void finish() {
      call.onCompleted();
    }

    @Override
    public void onNext(AudioChunk value) {
      receivedAtMicros.add(com.mentra.testing.TestPeer.nowMicros());
      received.add(value);
    }

    @Override
    public void onError(Throwable t) {
      error = t;
    }

    @Override
    public void onCompleted() {
      completed = true;
    }
  }

  AudioStream openStream(String userId) {
    return new AudioStream(userId, false);
  }

  @Override
  public void close() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    bridge.shutdown();
    livekit.close();
  }
}
