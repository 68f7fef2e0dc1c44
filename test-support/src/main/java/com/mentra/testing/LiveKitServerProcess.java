package com.mentra.testing;

import io.livekit.server.AccessToken;
import io.livekit.server.CanPublish;
import io.livekit.server.CanPublishData;
import io.livekit.server.CanSubscribe;
import io.livekit.server.RoomJoin;
import io.livekit.server.RoomName;
import io.livekit.server.RoomServiceClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import livekit.LivekitModels.ParticipantInfo;

/**
 * A real livekit-server (the binary scripts/test.sh built) with generated keys, started inside
 * the test namespace on a fixed set of ports, so it can be killed and started again on the same
 * ports. Owns its process; {@link #close()} is idempotent. Not thread-safe.
 */
public final class LiveKitServerProcess implements AutoCloseable {
  private static final AtomicInteger NEXT_BASE = new AtomicInteger(17880);

  private final TestEnvironment env = TestEnvironment.get();
  private final int httpPort;
  private final int tcpPort;
  private final int udpStart;
  private final int udpEnd;
  private final String apiKey;
  private final String apiSecret;
  private final Path config;
  private final Path log;
  private Process process;
  private RoomServiceClient roomService;

  private LiveKitServerProcess(int base) {
    this.httpPort = base;
    this.tcpPort = base + 1;
    int slot = (base - 17880) / 10;
    this.udpStart = 52000 + slot * 200;
    this.udpEnd = udpStart + 199;
    SecureRandom random = new SecureRandom();
    byte[] key = new byte[8];
    byte[] secret = new byte[24];
    random.nextBytes(key);
    random.nextBytes(secret);
    this.apiKey = "API" + HexFormat.of().formatHex(key);
    this.apiSecret = HexFormat.of().formatHex(secret);
    Path dir = TestEnvironment.outputDir("livekit-server-" + base);
    this.config = dir.resolve("config.yaml");
    this.log = dir.resolve("server.log");
  }

  /** Starts a server on the next free set of ports. */
  public static LiveKitServerProcess start() {
    LiveKitServerProcess server = new LiveKitServerProcess(NEXT_BASE.getAndAdd(10));
    server.startProcess();
    return server;
  }

  /** Starts again after {@link #kill()} or {@link #stop()}, on the same ports and keys. */
  public void restart() {
    if (process != null && process.isAlive()) throw new IllegalStateException("server still running");
    startProcess();
  }

  private void startProcess() {
    String yaml = """
        port: %d
        bind_addresses: ["%s"]
        rtc:
          tcp_port: %d
          port_range_start: %d
          port_range_end: %d
          use_external_ip: false
          node_ip: %s
        keys:
          %s: %s
        logging:
          level: info
        """.formatted(httpPort, env.nodeIp(), tcpPort, udpStart, udpEnd, env.nodeIp(), apiKey, apiSecret);
    try {
      Files.writeString(config, yaml);
      process = new ProcessBuilder(env.livekitServerBinary().toString(), "--config", config.toString())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start livekit-server " + env.livekitServerBinary(), e);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) throw new IllegalStateException("livekit-server exited with " + process.exitValue() + "; see " + log);
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(env.nodeIp(), httpPort), 200);
        return;
      } catch (IOException notYet) {
        sleep(100);
      }
    }
    close();
    throw new IllegalStateException("livekit-server did not listen on " + httpPort + " within 20 s; see " + log);
  }

  public String wsUrl() {
    return "ws://" + env.nodeIp() + ":" + httpPort;
  }

  public String httpUrl() {
    return "http://" + env.nodeIp() + ":" + httpPort;
  }

  public int httpPort() {
    return httpPort;
  }

  public String apiKey() {
    return apiKey;
  }

  public String apiSecret() {
    return apiSecret;
  }

  /** A token to join {@code room} as {@code identity} that may publish, subscribe and send data. */
  public String token(String room, String identity) {
    return token(room, identity, Duration.ofHours(1));
  }

  /** Same, valid for {@code ttl} (negative for an already expired token). */
  public String token(String room, String identity, Duration ttl) {
    AccessToken token = new AccessToken(apiKey, apiSecret);
    token.setIdentity(identity);
    token.setName(identity);
    if (ttl.isNegative()) {
      token.setNotBefore(new java.util.Date(System.currentTimeMillis() - 3_600_000L));
      token.setExpiration(new java.util.Date(System.currentTimeMillis() + ttl.toMillis()));
    } else {
      token.setTtl(ttl.toMillis());
    }
    token.addGrants(new RoomJoin(true), new RoomName(room), new CanPublish(true), new CanSubscribe(true), new CanPublishData(true));
    return token.toJwt();
  }

  public synchronized RoomServiceClient roomService() {
    if (roomService == null) roomService = RoomServiceClient.create(httpUrl(), apiKey, apiSecret);
    return roomService;
  }

  /** Identities the server currently lists in {@code room} (empty when the room does not exist). */
  public List<String> participantIdentities(String room) {
    try {
      var response = roomService().listParticipants(room).execute();
      if (!response.isSuccessful() || response.body() == null) return List.of();
      return response.body().stream().map(ParticipantInfo::getIdentity).toList();
    } catch (IOException e) {
      throw new IllegalStateException("RoomService.listParticipants failed", e);
    }
  }

  /** SIGKILL, as a crash would. */
  public void kill() {
    if (process != null) {
      process.destroyForcibly();
      waitFor(process);
    }
  }

  public void stop() {
    if (process != null) {
      process.destroy();
      if (!waitFor(process)) process.destroyForcibly();
    }
  }

  @Override
  public void close() {
    stop();
    process = null;
  }

  private static boolean waitFor(Process p) {
    try {
      return p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
