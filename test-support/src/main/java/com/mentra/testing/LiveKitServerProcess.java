package com.mentra.testing;

import io.livekit.server.AccessToken;
import io.livekit.server.CanPublish;
import io.livekit.server.CanPublishData;
import io.livekit.server.CanSubscribe;
import io.livekit.server.RoomJoin;
import io.livekit.server.RoomName;
import io.livekit.server.RoomServiceClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import livekit.LivekitModels.ParticipantInfo;

/**
 * A real livekit-server (the binary scripts/test.sh built) with generated keys, inside the test
 * namespace on a fixed set of ports derived from a base port, so it can be killed and started again
 * on the same ports and several servers can run at once.
 *
 * <p>Ports for base {@code B}: HTTP/WebSocket {@code B}, ICE/TCP {@code B+1}, ICE/UDP {@code B+10
 * .. B+109}. While a server object is open it holds a lock file on its base, so servers in other
 * test JVMs never pick the same ports. Bases chosen automatically lie in 10000..32767, below the
 * kernel's ephemeral range, so no client socket takes a port while the server is down between
 * {@link #kill()} and {@link #restart()}. Config, and the server's log, are in {@code
 * target/test-output/livekit-server-B/}.
 *
 * <p>Owns its process; {@link #close()} stops it and is idempotent. Lifecycle methods are
 * synchronized; the accessors and {@link #token} are safe from any thread.
 */
public final class LiveKitServerProcess implements AutoCloseable {
  /** Ports a server occupies from its base. */
  public static final int PORTS_PER_SERVER = 110;

  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final TestEnvironment env = TestEnvironment.get();
  private final LiveKitServerSettings settings;
  private final Path dir;
  private final Path config;
  private final Path log;
  private final PortBaseLock portBase;
  private Process process;
  private RoomServiceClient roomService;
  private boolean closed;

  /**
   * Starts a server on the ports of {@code basePort} (see the class comment); fails if another
   * server holds that base or a port is taken.
   */
  public LiveKitServerProcess(int basePort) {
    this(basePort, false);
  }

  /**
   * @param udpMux all peer connections share one UDP port ({@code B+10}, {@code rtc.udp_port}), as
   *     production servers run; without it they take ports from the 100-port range, too few for a
   *     hundred rooms of two participants
   */
  public LiveKitServerProcess(int basePort, boolean udpMux) {
    if (basePort < 1024 || basePort + PORTS_PER_SERVER > 65_535)
      throw new IllegalArgumentException("base port out of range: " + basePort);
    this.settings = LiveKitServerSettings.generate(basePort, udpMux);
    this.portBase = new PortBaseLock(basePort);
    this.dir = TestEnvironment.outputDir("livekit-server-" + basePort);
    this.config = dir.resolve("config.yaml");
    this.log = dir.resolve("server.log");
    try {
      startProcess();
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Starts a server on a free base port. */
  public static LiveKitServerProcess start() {
    return start(false);
  }

  /**
   * Starts a server on a free base port; {@code udpMux} as in {@link #LiveKitServerProcess(int,
   * boolean)}.
   */
  public static LiveKitServerProcess start(boolean udpMux) {
    RuntimeException last = null;
    for (int attempt = 0; attempt < 8; attempt++) {
      int base = PortBaseLock.randomBase();
      if (!PortBaseLock.looksFree(base)) continue;
      try {
        return new LiveKitServerProcess(base, udpMux);
      } catch (IllegalStateException e) {
        last = e; // Lost a race for the base or a port: try another.
      }
    }
    throw new IllegalStateException("no free port base for livekit-server after 8 attempts", last);
  }

  /** Starts a server on the ports of {@code basePort}. */
  public static LiveKitServerProcess start(int basePort) {
    return new LiveKitServerProcess(basePort);
  }

  /**
   * Starts the server again after {@link #kill()} or {@link #stop()}, on the same ports and keys.
   */
  public synchronized void restart() {
    if (closed) throw new IllegalStateException("server is closed");
    if (process != null && process.isAlive())
      throw new IllegalStateException("server still running");
    startProcess();
  }

  private void startProcess() {
    String yaml = settings.yaml(env.nodeIp(), "info");
    try {
      Files.writeString(config, yaml);
      Files.writeString(
          log,
          "---- start " + java.time.Instant.now() + "\n",
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      process =
          ChildProcesses.track(
              new ProcessBuilder(
                      env.livekitServerBinary().toString(), "--config", config.toString())
                  .redirectErrorStream(true)
                  .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                  .start());
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot start livekit-server " + env.livekitServerBinary(), e);
    }
    try {
      settings.awaitAnswer(process, env.nodeIp(), START_TIMEOUT, log);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
      throw new IllegalStateException("interrupted while livekit-server started", e);
    } catch (IllegalStateException e) {
      kill();
      throw e;
    }
  }

  /** {@code ws://NODE_IP:PORT}, what clients join. */
  public String wsUrl() {
    return "ws://" + env.nodeIp() + ":" + settings.httpPort();
  }

  /** {@code http://NODE_IP:PORT}, the Twirp API. */
  public String httpUrl() {
    return "http://" + env.nodeIp() + ":" + settings.httpPort();
  }

  public int httpPort() {
    return settings.httpPort();
  }

  /** The base port: HTTP; TCP is +1, UDP +10..+109. */
  public int basePort() {
    return settings.httpPort();
  }

  public String apiKey() {
    return settings.apiKey();
  }

  public String apiSecret() {
    return settings.apiSecret();
  }

  /** The server's log file. */
  public Path logFile() {
    return log;
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /**
   * A token to join {@code room} as {@code identity} that may publish, subscribe and send data,
   * valid 1 h.
   */
  public String token(String room, String identity) {
    return token(room, identity, Duration.ofHours(1));
  }

  /**
   * Same, valid for {@code ttl}; zero or negative gives a token that expired {@code -ttl} ago (at
   * least 1 s).
   */
  public String token(String room, String identity, Duration ttl) {
    return token(room, identity, ttl, t -> {});
  }

  /**
   * A token with the default grants (room join for {@code room}, publish, subscribe, publish data)
   * and {@code ttl} as above; {@code customize} may change anything before signing (e.g. {@code
   * t.clearGrants()} and other grants, metadata, attributes).
   */
  public String token(String room, String identity, Duration ttl, Consumer<AccessToken> customize) {
    AccessToken token = new AccessToken(settings.apiKey(), settings.apiSecret());
    token.setIdentity(identity);
    token.setName(identity);
    if (ttl.isNegative() || ttl.isZero()) {
      long now = System.currentTimeMillis();
      token.setNotBefore(new Date(now - 3_600_000L));
      token.setExpiration(new Date(now - Math.max(1_000L, -ttl.toMillis())));
    } else {
      token.setTtl(ttl.toMillis());
    }
    token.addGrants(
        new RoomJoin(true),
        new RoomName(room),
        new CanPublish(true),
        new CanSubscribe(true),
        new CanPublishData(true));
    customize.accept(token);
    return token.toJwt();
  }

  /**
   * A {@link TestPeer} that joined {@code room} as {@code identity} (also its name), subscribing to
   * every track.
   */
  public TestPeer joinPeer(String room, String identity) {
    return TestPeer.join(identity, wsUrl(), token(room, identity));
  }

  /** The server API client (Twirp over HTTP), created once. */
  public synchronized RoomServiceClient roomService() {
    if (roomService == null)
      roomService =
          RoomServiceClient.createClient(httpUrl(), settings.apiKey(), settings.apiSecret());
    return roomService;
  }

  /** Identities the server currently lists in {@code room} (empty when the room does not exist). */
  public List<String> listParticipantIdentities(String room) {
    try {
      var response = roomService().listParticipants(room).execute();
      if (response.code() == 404) return List.of();
      if (!response.isSuccessful() || response.body() == null) {
        throw new IllegalStateException(
            "RoomService.ListParticipants(" + room + ") answered HTTP " + response.code());
      }
      return response.body().stream().map(ParticipantInfo::getIdentity).toList();
    } catch (IOException e) {
      throw new IllegalStateException("RoomService.ListParticipants(" + room + ") failed", e);
    }
  }

  /** Same as {@link #listParticipantIdentities(String)}. */
  public List<String> participantIdentities(String room) {
    return listParticipantIdentities(room);
  }

  /** SIGKILL, as a crash would; returns once the process is gone. */
  public synchronized void kill() {
    if (process != null) {
      process.destroyForcibly();
      waitFor(process, 10);
    }
  }

  /** SIGTERM (the server closes its rooms), SIGKILL after 10 s. */
  public synchronized void stop() {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!waitFor(process, 10)) {
        process.destroyForcibly();
        waitFor(process, 5);
      }
    }
  }

  /** Stops the server and releases its ports. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    stop();
    process = null;
    portBase.close();
  }

  private static boolean waitFor(Process p, int seconds) {
    try {
      return p.waitFor(seconds, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
