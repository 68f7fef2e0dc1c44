package com.mentra.bridge.server;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The bridge's Prometheus metrics: sessions and streams now, joins and their latency, dropped and
 * malformed audio, room connection changes, playback outcomes, plus the JVM's memory, threads, CPU
 * and GC. Served as text on {@code /metrics} when a metrics port is configured. Each bridge has its
 * own registry (several bridges can run in one JVM, as in tests). Thread-safe.
 */
final class BridgeMetrics implements AutoCloseable {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter joins =
      Counter.builder()
          .name("livekit_bridge_joins")
          .help("JoinRoom calls by result (success, failed)")
          .labelNames("result")
          .register(registry);
  private final Histogram joinSeconds =
      Histogram.builder()
          .name("livekit_bridge_join_duration_seconds")
          .help("Time from JoinRoom to its answer, successful joins")
          .classicOnly()
          .classicUpperBounds(0.1, 0.25, 0.5, 1, 2, 5, 10, 30)
          .register(registry);
  private final Counter droppedChunks =
      Counter.builder()
          .name("livekit_bridge_downlink_dropped_chunks")
          .help("Room-to-client chunks dropped because a client read too slowly")
          .register(registry);
  private final Counter connectionEvents =
      Counter.builder()
          .name("livekit_bridge_room_connection_events")
          .help(
              "Sessions' room connection trouble: reconnecting, recovered (connected again), lost (gave up)")
          .labelNames("event")
          .register(registry);
  private final Counter playbacks =
      Counter.builder()
          .name("livekit_bridge_playbacks")
          .help(
              "Ended playbacks by outcome (completed, stopped, replaced, cancelled, closed, failed)")
          .labelNames("outcome")
          .register(registry);
  private final Counter phonePacketsLost =
      Counter.builder()
          .name("livekit_bridge_phone_packets_lost")
          .help("Phone data packets that never arrived, from gaps in their 1-byte sequence numbers")
          .register(registry);
  private final Histogram downlinkLatency =
      Histogram.builder()
          .name("livekit_bridge_downlink_latency_seconds")
          .help(
              "Time room audio spends in the bridge: data packet (or 100 ms of microphone audio) arrival to the StreamAudio send, by source")
          .labelNames("source")
          .classicOnly()
          .classicUpperBounds(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1)
          .register(registry);
  private final Histogram roundTrip =
      Histogram.builder()
          .name("livekit_bridge_session_round_trip_seconds")
          .help("Sessions' media round trip to LiveKit (selected ICE pair), sampled every 30 s")
          .classicOnly()
          .classicUpperBounds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)
          .register(registry);
  private final Histogram inboundLoss =
      Histogram.builder()
          .name("livekit_bridge_session_inbound_loss_ratio")
          .help("Sessions' received-audio packet loss ratio since joining, sampled every 30 s")
          .classicOnly()
          .classicUpperBounds(0, 0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
          .register(registry);
  private final Histogram jitter =
      Histogram.builder()
          .name("livekit_bridge_session_inbound_jitter_seconds")
          .help("Sessions' received-audio interarrival jitter, sampled every 30 s")
          .classicOnly()
          .classicUpperBounds(0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25)
          .register(registry);
  private final Counter sessionsExpired =
      Counter.builder()
          .name("livekit_bridge_sessions_expired")
          .help(
              "Sessions closed because their backend vanished (no StreamAudio call and no call for SESSION_IDLE_SECONDS)")
          .register(registry);
  private final Histogram uplinkLatency =
      Histogram.builder()
          .name("livekit_bridge_uplink_latency_seconds")
          .help(
              "Time client audio spends in the bridge: StreamAudio chunk receipt to its first sample pushed into the track (jitter buffer included)")
          .classicOnly()
          .classicUpperBounds(0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.25, 0.5, 1, 2)
          .register(registry);
  private final Histogram tickLateness =
      Histogram.builder()
          .name("livekit_bridge_clock_tick_lateness_seconds")
          .help(
              "How late the shared 10 ms audio clock ran each tick (scheduling delay of the clock thread)")
          .classicOnly()
          .classicUpperBounds(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1)
          .register(registry);
  private HTTPServer http;

  BridgeMetrics() {
    JvmMetrics.builder().register(registry);
  }

  /** The callbacks that read live state. */
  void observe(LongSupplier sessions, LongSupplier streams, LongSupplier malformedChunks) {
    GaugeWithCallback.builder()
        .name("livekit_bridge_sessions")
        .help("Sessions (users in a room)")
        .callback(cb -> cb.call(sessions.getAsLong()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("livekit_bridge_streams")
        .help("Open StreamAudio calls")
        .callback(cb -> cb.call(streams.getAsLong()))
        .register(registry);
    CounterWithCallback.builder()
        .name("livekit_bridge_malformed_chunks")
        .help(
            "Client audio chunks trimmed or refused (odd length, partial frame, unsupported format)")
        .callback(cb -> cb.call(malformedChunks.getAsLong()))
        .register(registry);
  }

  void joinFinished(boolean success, long nanos) {
    joins.labelValues(success ? "success" : "failed").inc();
    if (success) joinSeconds.observe(nanos / 1e9);
  }

  void downlinkDropped() {
    droppedChunks.inc();
  }

  void downlinkLatency(com.mentra.bridge.api.AudioChunk.Source source, long nanos) {
    downlinkLatency
        .labelValues(
            source == com.mentra.bridge.api.AudioChunk.Source.MICROPHONE
                ? "microphone"
                : "data_packet")
        .observe(nanos / 1e9);
  }

  /** One session's sampled transport figures (negative values: unknown, not observed). */
  void sessionRtc(com.mentra.livekit.rtc.RtcStats stats) {
    if (stats.roundTripMs() >= 0) roundTrip.observe(stats.roundTripMs() / 1000);
    if (stats.inboundJitterMs() >= 0) jitter.observe(stats.inboundJitterMs() / 1000);
    if (stats.inboundPackets() > 0) inboundLoss.observe(stats.inboundLossRatio());
  }

  void sessionsExpired(int n) {
    sessionsExpired.inc(n);
  }

  void uplinkLatency(long nanos) {
    uplinkLatency.observe(nanos / 1e9);
  }

  void tickLateness(long nanos) {
    tickLateness.observe(nanos / 1e9);
  }

  void phonePacketsLost(long packets) {
    phonePacketsLost.inc(packets);
  }

  void roomConnectionEvent(String event) {
    connectionEvents.labelValues(event).inc();
  }

  void playbackEnded(String outcome) {
    playbacks.labelValues(outcome).inc();
  }

  /** Serves {@code /metrics} on {@code address:port} (0 picks a free port); returns the port. */
  synchronized int serve(InetAddress address, int port) throws IOException {
    // Two threads and a short queue: a scraper cannot make the bridge grow.
    ExecutorService executor =
        new ThreadPoolExecutor(
            1,
            2,
            60,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(16),
            Thread.ofPlatform().name("metrics-http-", 0).daemon().factory(),
            new ThreadPoolExecutor.DiscardPolicy());
    http =
        HTTPServer.builder()
            .inetAddress(address)
            .port(port)
            .registry(registry)
            .executorService(executor)
            .buildAndStart();
    return http.getPort();
  }

  @Override
  public synchronized void close() {
    if (http != null) {
      http.close();
      http = null;
    }
  }
}
