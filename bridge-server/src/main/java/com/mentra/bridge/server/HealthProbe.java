package com.mentra.bridge.server;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The container's health check: one {@code grpc.health.v1.Health/Check} call to the bridge on this
 * machine; exits 0 when it answers SERVING, 1 otherwise (printing why). No daemon, no extra tool:
 * the image's {@code HEALTHCHECK} runs it with the bridge's own class path.
 *
 * <p>Reads the bridge's {@code PORT} (default 9090) and {@code BIND_ADDRESS}: a wildcard bind
 * address is probed on 127.0.0.1, a specific one on itself; with {@code LIVEKIT_GRPC_SOCKET} set,
 * the bridge's Unix domain socket; with {@code TLS_CERT_FILE} set, over TLS. Optional arguments:
 * {@code [service]} (default "", the whole server) and {@code --timeout-ms=N} (default 3000).
 */
public final class HealthProbe {
  private HealthProbe() {}

  public static void main(String[] args) {
    String service = "";
    long timeoutMs = 3_000;
    for (String arg : args) {
      if (arg.startsWith("--timeout-ms=")) {
        timeoutMs = Long.parseLong(arg.substring("--timeout-ms=".length()));
      } else {
        service = arg;
      }
    }
    // One line of output, not the bridge's logging: only errors from gRPC and Netty.
    ((ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.ERROR);
    String target = target(System.getenv());
    System.exit(check(target, service, timeoutMs) ? 0 : 1);
  }

  /** {@code host:port} (or {@code unix:PATH}) of the bridge described by the environment. */
  static String target(Map<String, String> env) {
    String socket = env.getOrDefault("LIVEKIT_GRPC_SOCKET", "").trim();
    if (!socket.isEmpty())
      return "unix:" + (socket.startsWith("unix:") ? socket.substring(5) : socket);
    String port = env.getOrDefault("PORT", "").isBlank() ? "9090" : env.get("PORT").trim();
    String bind = env.getOrDefault("BIND_ADDRESS", "").trim();
    String host =
        bind.isEmpty() || bind.equals("0.0.0.0") || bind.equals("::") || bind.equals("[::]")
            ? "127.0.0.1"
            : bind;
    if (host.contains(":") && !host.startsWith("[")) host = "[" + host + "]";
    return host + ":" + port;
  }

  static boolean check(String target, String service, long timeoutMs) {
    io.grpc.netty.shaded.io.netty.channel.EventLoopGroup unixLoop = null;
    ManagedChannel channel;
    if (target.startsWith("unix:")) {
      unixLoop = new io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup(1);
      channel =
          NettyChannelBuilder.forAddress(
                  new io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress(
                      target.substring(5)))
              .eventLoopGroup(unixLoop)
              .channelType(
                  io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel.class)
              .usePlaintext()
              .build();
    } else if (!System.getenv().getOrDefault("TLS_CERT_FILE", "").isBlank()) {
      // The bridge serves TLS: a loopback probe checks health, not identity, so any certificate is
      // accepted.
      try {
        channel =
            NettyChannelBuilder.forTarget(target)
                .sslContext(
                    io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forClient()
                        .trustManager(
                            io.grpc.netty.shaded.io.netty.handler.ssl.util
                                .InsecureTrustManagerFactory.INSTANCE)
                        .build())
                .build();
      } catch (javax.net.ssl.SSLException e) {
        System.out.println("cannot set up TLS for the health check: " + e.getMessage());
        return false;
      }
    } else {
      channel = NettyChannelBuilder.forTarget(target).usePlaintext().build();
    }
    try {
      HealthCheckResponse response =
          HealthGrpc.newBlockingStub(channel)
              .withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
              .check(HealthCheckRequest.newBuilder().setService(service).build());
      if (response.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
        System.out.println("SERVING (" + target + ")");
        return true;
      }
      System.out.println(response.getStatus() + " (" + target + ")");
      return false;
    } catch (StatusRuntimeException e) {
      System.out.println("health check of " + target + " failed: " + e.getStatus());
      return false;
    } finally {
      channel.shutdownNow();
      if (unixLoop != null) unixLoop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
    }
  }
}
