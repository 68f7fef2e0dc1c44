package com.mentra.livekit.rtc;

import com.mentra.livekit.rtc.internal.WebRtcRuntime;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A LiveKit participant running in this JVM: joins a room, sends and receives data packets,
 * publishes and receives audio, and reconnects on its own when the connection drops.
 *
 * <pre>{@code
 * try (Room room = Room.connect("wss://example.livekit.cloud", token, RoomOptions.defaults(), listener)) {
 *   room.sendData(bytes, DataSendOptions.reliable().withTopic("chat")).join();
 *   LocalAudioTrack mic = room.publishAudio(LocalAudioTrackOptions.microphone("mic"));
 *   mic.pushFrame(tenMillis, 16000, 1);
 * }
 * }</pre>
 *
 * <p>Thread-safe. Listener callbacks are serialized on the room's callback executor. {@link
 * #close()} is idempotent, may be called from any thread (including a listener callback), and
 * releases every native object the room created.
 */
public final class Room implements AutoCloseable {
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
  private final RoomEngine engine;

  private Room(SignalUrls urls, String token, RoomOptions options, RoomListener listener) {
    this.engine = new RoomEngine(this, urls, token, options, listener);
  }

  /**
   * Joins a room and returns once signalling and the receiving media transport are up (the
   * publishing one connects on first use: a published track or sent data).
   *
   * @param url the LiveKit server, ws(s):// or http(s)://
   * @param token an access token with a room join grant
   * @throws RoomConnectException with a {@link RoomConnectException.Reason} and a clear message
   *     when the URL is bad, the token is refused, nothing answers, or the join times out
   */
  public static Room connect(String url, String token, RoomOptions options, RoomListener listener)
      throws RoomConnectException, InterruptedException {
    SignalUrls urls = SignalUrls.parse(url);
    if (token == null || token.isBlank()) {
      throw new RoomConnectException(
          RoomConnectException.Reason.UNAUTHORIZED, "access token is empty");
    }
    RoomOptions chosen = options == null ? RoomOptions.defaults() : options;
    Room room = new Room(urls, token.trim(), chosen, listener);
    room.awaitFirstJoin(urls, token.trim(), chosen.connectTimeout());
    return room;
  }

  /** Starts the first join and waits for it; when it fails, closes the room and says why. */
  private void awaitFirstJoin(SignalUrls urls, String token, Duration connectTimeout)
      throws RoomConnectException, InterruptedException {
    try {
      engine.start().get(connectTimeout.toMillis() + 2_000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      engine.closeWithin(CLOSE_TIMEOUT);
      throw new RoomConnectException(
          RoomConnectException.Reason.TIMEOUT,
          "joining the room at "
              + urls.host()
              + " took longer than "
              + connectTimeout.toMillis()
              + " ms");
    } catch (ExecutionException e) {
      engine.closeWithin(CLOSE_TIMEOUT);
      throw ConnectFailures.classify(e, urls, token, WebRtcRuntime.shared().httpClient());
    } catch (InterruptedException e) {
      engine.closeWithin(CLOSE_TIMEOUT);
      throw e;
    }
  }

  public ConnectionState connectionState() {
    return engine.state();
  }

  /** Why the room last became DISCONNECTED, "" while it has not. */
  public String disconnectReason() {
    return engine.lastDisconnectReason();
  }

  public String localIdentity() {
    return engine.local().identity();
  }

  /** This participant's sid (changes after a full rejoin). */
  public String localSid() {
    return engine.local().sid();
  }

  public String name() {
    return engine.local().roomName();
  }

  public String serverVersion() {
    return engine.local().serverVersion();
  }

  /** The other participants as the server last reported them. */
  public List<RemoteParticipant> remoteParticipants() {
    return engine.remoteParticipants();
  }

  /**
   * Sends a user data packet. While the room reconnects, packets wait in a bounded queue; the
   * future fails when that queue is full or the room is disconnected.
   */
  public CompletableFuture<Void> sendData(byte[] payload, DataSendOptions options) {
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(options, "options");
    return engine.requests().sendData(payload.clone(), options);
  }

  /**
   * Publishes a new audio track and waits (up to the connect timeout) for the server to accept it.
   */
  public LocalAudioTrack publishAudio(LocalAudioTrackOptions options)
      throws InterruptedException, TimeoutException {
    Objects.requireNonNull(options, "options");
    CompletableFuture<LocalAudioTrack> published = engine.requests().publishAudio(options);
    try {
      return published.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "publishing '" + options.name() + "' failed: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      published.thenAccept(LocalAudioTrack::unpublish);
      throw new TimeoutException(
          "the server did not accept track '" + options.name() + "' within 10 s");
    }
  }

  /** Stops publishing {@code track}; idempotent. */
  public void unpublish(LocalAudioTrack track) {
    engine.requests().unpublish(track);
  }

  /**
   * Receives {@code identity}'s audio as 10 ms frames at {@code sampleRate} and {@code channels}.
   * Works before the participant joins and across reconnects; requires the track to be subscribed
   * (auto-subscribe, or the identity listed in {@link RoomOptions#audioSubscriptions()}).
   */
  public AudioSubscription receiveAudio(
      String identity, int sampleRate, int channels, AudioFrameListener listener) {
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(listener, "listener");
    return engine.requests().receiveAudio(identity, sampleRate, channels, listener);
  }

  /** The media transports' round trip, jitter and loss (libwebrtc stats); completes within 2 s. */
  public CompletableFuture<RtcStats> rtcStats() {
    return engine.requests().stats();
  }

  /** Leaves the room and releases everything; idempotent, waits at most 5 s. */
  @Override
  public void close() {
    engine.closeWithin(CLOSE_TIMEOUT);
  }
}
