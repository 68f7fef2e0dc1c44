package com.mentra.bridge.server;

import com.mentra.bridge.dsp.AudioClock;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running bridge: the gRPC server (the bridge API, grpc.health.v1 and reflection), the session
 * registry and the shared audio clock. {@link #shutdown()} is idempotent: it stops accepting calls,
 * leaves every room, ends every stream and waits at most the grace period.
 */
public final class BridgeServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BridgeServer.class);
  private static final String SERVICE_NAME = "mentra.livekit.bridge.LiveKitBridge";

  private final BridgeConfig config;
  private final AudioClock clock = new AudioClock();
  private final ExecutorService blocking =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("bridge-blocking-", 0).factory());
  private final HealthStatusManager health = new HealthStatusManager();
  private final BridgeMetrics metrics = new BridgeMetrics();
  private final SessionRegistry sessions;
  private final LiveKitBridgeService service;
  private final Server server;
  private final GrpcListener listener;
  private boolean stopped;

  /**
   * Samples every session's transport figures into /metrics; one thread, whatever the session
   * count.
   */
  private final java.util.concurrent.ScheduledExecutorService statsSampler =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("bridge-rtc-stats").daemon().factory());

  private volatile int metricsPort;

  public BridgeServer(BridgeConfig config) {
    this.config = config;
    PlayAudioHandlerFactory playAudio = new PlayAudioHandlerFactory(config, clock, metrics);
    this.sessions = new SessionRegistry(config, clock, blocking, playAudio, metrics);
    this.service = new LiveKitBridgeService(config, sessions, blocking, metrics);
    metrics.observe(sessions::sessionCount, sessions::streamCount, service::malformedChunks);
    clock.observeLateness(metrics::tickLateness);
    this.listener = GrpcListener.forConfig(config);
    this.server =
        listener
            .serverBuilder()
            .maxInboundMessageSize(BridgeConfig.MAX_MESSAGE_BYTES)
            // Only the bridge API needs a credential; grpc.health.v1 stays open for probes.
            .addService(
                ServerInterceptors.intercept(
                    service,
                    new UserIdInterceptor(),
                    new BearerTokenInterceptor(
                        config.authTokens(), TlsSetup.clientVerifier(config))))
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            // v1alpha too: older grpcurl builds and tools only speak it.
            .addService(legacyReflection())
            .permitKeepAliveTime(10, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true)
            .build();
  }

  @SuppressWarnings("deprecation")
  private static io.grpc.BindableService legacyReflection() {
    return io.grpc.protobuf.services.ProtoReflectionService.newInstance();
  }

  /**
   * Binds and starts serving; on any failure everything started so far is shut down (the listener's
   * event loops are not daemon threads: left running, they would keep a failed process alive).
   */
  public BridgeServer start() throws IOException {
    try {
      startServing();
    } catch (IOException | RuntimeException e) {
      shutdown();
      throw e;
    }
    return this;
  }

  private void startServing() throws IOException {
    listener.prepare();
    server.start();
    listener.started();
    // Each session once per period, a share of them every second (StaggeredRounds says why).
    statsSampler.scheduleWithFixedDelay(
        new StaggeredRounds<>(
            sessions::sessions, this::sampleRtcStats, config.rtcStatsSampleSeconds()),
        1,
        1,
        TimeUnit.SECONDS);
    if (config.sessionIdleSeconds() > 0) {
      // Expiry runs on the blocking executor: leaving a room can take a moment.
      statsSampler.scheduleWithFixedDelay(
          () -> blocking.execute(this::expireIdleSessions), 1, 1, TimeUnit.SECONDS);
    }
    health.setStatus(SERVICE_NAME, io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    log.info("bridge listening on {}", listener.describe(server));
    if (config.metricsPort() > 0) {
      try {
        metricsPort =
            metrics.serve(InetAddress.getByName(config.bindAddress()), config.metricsPort());
      } catch (IOException e) {
        throw new IOException(
            "cannot serve metrics on "
                + config.bindAddress()
                + ":"
                + config.metricsPort()
                + ": "
                + e.getMessage(),
            e);
      }
      log.info("metrics on http://{}:{}/metrics", config.bindAddress(), metricsPort);
    }
  }

  private final java.util.concurrent.atomic.AtomicBoolean expiring =
      new java.util.concurrent.atomic.AtomicBoolean();

  private void expireIdleSessions() {
    if (!expiring.compareAndSet(false, true)) return; // the previous sweep is still running
    try {
      int expired = sessions.expireIdle(config.sessionIdleSeconds());
      if (expired > 0) metrics.sessionsExpired(expired);
    } catch (RuntimeException e) {
      log.warn("expiring idle sessions failed", e);
    } finally {
      expiring.set(false);
    }
  }

  private void sampleRtcStats(BridgeSession session) {
    var room = session.room();
    if (room != null) room.rtcStats().thenAccept(metrics::sessionRtc);
  }

  /** The port /metrics is served on; 0 when off. */
  public int metricsPort() {
    return metricsPort;
  }

  /** The TCP port; -1 when listening on a Unix domain socket. */
  public int port() {
    return server.getPort();
  }

  /** Where clients connect: {@code host:port}, or {@code unix:/path} for a domain socket. */
  public String target() {
    return listener.target(server);
  }

  int sessionCount() {
    return sessions.sessionCount();
  }

  long malformedChunks() {
    return service.malformedChunks();
  }

  int streamCount() {
    return sessions.streamCount();
  }

  public synchronized void shutdown() {
    if (stopped) return;
    stopped = true;
    log.info(
        "shutting down: {} sessions, {} streams", sessions.sessionCount(), sessions.streamCount());
    service.stopServing();
    health.enterTerminalState();
    server.shutdown();
    sessions.closeAll();
    try {
      if (!server.awaitTermination(config.shutdownGraceSeconds(), TimeUnit.SECONDS)) {
        log.warn("calls still running after {} s; cancelling them", config.shutdownGraceSeconds());
        server.shutdownNow();
        server.awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
    blocking.shutdownNow();
    statsSampler.shutdownNow();
    listener.close();
    clock.close();
    metrics.close();
    log.info("bridge stopped");
  }

  @Override
  public void close() {
    shutdown();
  }
}
