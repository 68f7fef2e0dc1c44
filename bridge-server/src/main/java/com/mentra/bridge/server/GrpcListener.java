package com.mentra.bridge.server;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where the gRPC server listens: TCP on the bind address and port, or, when LIVEKIT_GRPC_SOCKET is
 * set, a Unix domain socket (the cloud's production transport: cloud and bridge share a container
 * and the cloud dials {@code unix:<path>}). For a socket, a stale file is removed, the directory
 * created and the socket made 0666 as upstream did; the file's permissions (and the directory's)
 * are then the access boundary. Not thread-safe; used by {@link BridgeServer} only.
 */
abstract class GrpcListener implements AutoCloseable {
  static GrpcListener forConfig(BridgeConfig config) {
    return config.grpcSocket().isEmpty()
        ? new Tcp(config)
        : new UnixSocket(Path.of(config.grpcSocket()));
  }

  abstract NettyServerBuilder serverBuilder();

  /** Before the server starts. */
  void prepare() throws IOException {}

  /** After the server started. */
  void started() throws IOException {}

  abstract String describe(Server server);

  abstract String target(Server server);

  @Override
  public void close() {}

  private static final class Tcp extends GrpcListener {
    private final BridgeConfig config;

    Tcp(BridgeConfig config) {
      this.config = config;
    }

    @Override
    NettyServerBuilder serverBuilder() {
      NettyServerBuilder builder =
          NettyServerBuilder.forAddress(new InetSocketAddress(config.bindAddress(), config.port()));
      if (!config.tlsCertFile().isEmpty()) {
        try {
          builder.sslContext(TlsSetup.serverContext(config));
        } catch (java.io.IOException | IllegalArgumentException e) {
          throw new BridgeConfig.ConfigException(
              "cannot serve TLS from TLS_CERT_FILE/TLS_KEY_FILE: " + e.getMessage());
        }
      }
      return builder;
    }

    @Override
    String describe(Server server) {
      return config.bindAddress()
          + ":"
          + server.getPort()
          + (config.tlsCertFile().isEmpty()
              ? " (plaintext)"
              : config.tlsClientCaFile().isEmpty() ? " (TLS)" : " (mutual TLS)")
          + (config.authTokens().isEmpty() ? "" : ", bearer token required");
    }

    @Override
    String target(Server server) {
      return config.bindAddress() + ":" + server.getPort();
    }
  }

  private static final class UnixSocket extends GrpcListener {
    private final Path path;
    private EventLoopGroup boss;
    private EventLoopGroup workers;

    UnixSocket(Path path) {
      this.path = path;
    }

    @Override
    NettyServerBuilder serverBuilder() {
      if (!Epoll.isAvailable()) {
        throw new IllegalStateException(
            "LIVEKIT_GRPC_SOCKET needs Netty's epoll transport, which is unavailable here: "
                + Epoll.unavailabilityCause());
      }
      boss = new EpollEventLoopGroup(1);
      workers = new EpollEventLoopGroup(0);
      return NettyServerBuilder.forAddress(new DomainSocketAddress(path.toString()))
          .channelType(EpollServerDomainSocketChannel.class)
          .bossEventLoopGroup(boss)
          .workerEventLoopGroup(workers);
    }

    @Override
    void prepare() throws IOException {
      Path dir = path.toAbsolutePath().getParent();
      if (dir != null) Files.createDirectories(dir);
      if (Files.exists(path) && !Files.isDirectory(path))
        Files.delete(path); // a stale socket of an earlier run
    }

    @Override
    void started() throws IOException {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw-rw-"));
    }

    @Override
    String describe(Server server) {
      return "unix:" + path;
    }

    @Override
    String target(Server server) {
      return "unix:" + path;
    }

    @Override
    public void close() {
      if (boss != null) boss.shutdownGracefully();
      if (workers != null) workers.shutdownGracefully();
      try {
        Files.deleteIfExists(path);
      } catch (IOException e) {
        // Nothing to do: the next start removes a stale file.
      }
    }
  }
}
