package com.mentra.livekit.rtc.internal;

import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.media.audio.AudioDeviceModule;
import dev.onvoid.webrtc.media.audio.AudioLayer;
import dev.onvoid.webrtc.media.audio.HeadlessAudioDeviceModule;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process-wide libwebrtc and thread resources every room shares, so the thread count does not
 * grow with the number of rooms.
 *
 * <p>Two peer connection factories, because pushing PCM through a {@code CustomAudioSource} on a
 * factory whose audio device module records aborts the JVM (libwebrtc race checker): sending
 * (publisher) uses a dummy device module; receiving (subscriber) uses a headless module whose
 * playout thread drives decoding, which is what makes remote track sinks receive audio. Creating a
 * factory without a module would try PulseAudio and abort without a sound server.
 *
 * <p>Created on first use and kept for the life of the process; disposed by a shutdown hook.
 * Thread-safe.
 */
public final class WebRtcRuntime {
  private static final Logger log = LoggerFactory.getLogger(WebRtcRuntime.class);
  private static WebRtcRuntime shared;

  private final AudioDeviceModule sendDeviceModule;
  private final HeadlessAudioDeviceModule receiveDeviceModule;
  private final PeerConnectionFactory sendFactory;
  private final PeerConnectionFactory receiveFactory;
  private final ThreadPoolExecutor workers;
  private final ScheduledThreadPoolExecutor timers;
  private final HttpClient httpClient;
  private boolean disposed;

  private WebRtcRuntime() {
    int threads = Math.max(4, Runtime.getRuntime().availableProcessors() * 2);
    // Bounded: each serial executor keeps at most one drain task here at a time.
    workers =
        new ThreadPoolExecutor(
            threads,
            threads,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(100_000),
            daemonThreads("livekit-rtc-worker"));
    workers.allowCoreThreadTimeOut(true);
    timers = new ScheduledThreadPoolExecutor(1, daemonThreads("livekit-rtc-timer"));
    timers.setRemoveOnCancelPolicy(true);
    httpClient =
        HttpClient.newBuilder()
            .executor(workers)
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    sendDeviceModule = new AudioDeviceModule(AudioLayer.kDummyAudio);
    sendFactory = new PeerConnectionFactory(sendDeviceModule);
    receiveDeviceModule = new HeadlessAudioDeviceModule();
    receiveFactory = new PeerConnectionFactory(receiveDeviceModule);
    // After the factory initialised the module: its playout thread pulls (and so decodes) remote
    // audio.
    receiveDeviceModule.initPlayout();
    receiveDeviceModule.startPlayout();
    log.debug("webrtc runtime started with {} worker threads", threads);
  }

  private static boolean applicationDisposes;

  /** The shared runtime, created on first call. */
  public static synchronized WebRtcRuntime shared() {
    if (shared == null) {
      shared = new WebRtcRuntime();
      // JVM shutdown hooks run concurrently: an application that still pushes audio or closes
      // rooms in its own hook must dispose the runtime itself, after that (see
      // disposeAtExitByCaller).
      if (!applicationDisposes)
        Runtime.getRuntime()
            .addShutdownHook(new Thread(WebRtcRuntime::disposeShared, "livekit-rtc-shutdown"));
    }
    return shared;
  }

  /**
   * The application takes over disposal: no shutdown hook of this library frees the native
   * factories; the application calls {@link #disposeShared()} once nothing uses them any more (its
   * rooms closed, its clock stopped). Call before the first room is created.
   */
  public static synchronized void disposeAtExitByCaller() {
    if (shared != null)
      throw new IllegalStateException(
          "the WebRTC runtime already exists with its own shutdown hook");
    applicationDisposes = true;
  }

  /** Frees the native factories and the shared threads; idempotent. Later use fails. */
  public static synchronized void disposeShared() {
    if (shared != null) shared.dispose();
  }

  public PeerConnectionFactory sendFactory() {
    return sendFactory;
  }

  public PeerConnectionFactory receiveFactory() {
    return receiveFactory;
  }

  /** Shared bounded pool for serial executors; never block in it for long. */
  public ExecutorService workers() {
    return workers;
  }

  /** Single timer thread; scheduled tasks only hand work to a serial executor. */
  public ScheduledExecutorService timers() {
    return timers;
  }

  public HttpClient httpClient() {
    return httpClient;
  }

  private synchronized void dispose() {
    if (disposed) return;
    disposed = true;
    log.info("disposing the WebRTC runtime: libwebrtc's factories and the shared threads");
    RoomRegistry.closeAll(Duration.ofSeconds(5));
    try {
      receiveDeviceModule.stopPlayout();
      sendFactory.dispose();
      receiveFactory.dispose();
      sendDeviceModule.dispose();
      receiveDeviceModule.dispose();
    } catch (RuntimeException e) {
      log.warn("disposing webrtc runtime failed", e);
    }
    timers.shutdownNow();
    workers.shutdownNow();
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
