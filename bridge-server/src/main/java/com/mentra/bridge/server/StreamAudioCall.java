package com.mentra.bridge.server;

import com.mentra.bridge.api.AudioChunk;
import com.mentra.bridge.dsp.Pcm16;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One StreamAudio call. The first message names the user (its user_id, or the call's {@code
 * user-id} metadata); PCM in later messages goes to that user's session's uplink, and the session's
 * room audio goes out on this call's responses. The call outlives session replacement: a re-join
 * attaches the new session to it. Inbound messages arrive one at a time (gRPC guarantees it);
 * attach and end may come from other threads and are synchronized. Every call into the response
 * observer (here and in {@link DownlinkQueue}) holds the observer's own monitor, the one lock that
 * serializes them (gRPC's observers are not thread-safe).
 */
final class StreamAudioCall implements StreamObserver<AudioChunk> {
  private static final Logger log = LoggerFactory.getLogger(StreamAudioCall.class);

  private final SessionRegistry registry;
  private final ServerCallStreamObserver<AudioChunk> responses;
  private final String metadataUserId;
  private final AtomicLong malformedChunks;
  private String userId;
  private BridgeSession session;
  private boolean ended;

  /** A newer call for this user took over; this one stays open but is no longer used. */
  private boolean superseded;

  private boolean warnedMalformed; // inbound thread only

  StreamAudioCall(
      SessionRegistry registry,
      ServerCallStreamObserver<AudioChunk> responses,
      String metadataUserId,
      AtomicLong malformedChunks) {
    this.registry = registry;
    this.responses = responses;
    this.metadataUserId = metadataUserId == null ? "" : metadataUserId;
    this.malformedChunks = malformedChunks;
    responses.setOnCancelHandler(this::onCancelled);
    // Handlers can only be set before the service returns; route readiness to whichever session is
    // attached.
    responses.setOnReadyHandler(
        () -> {
          BridgeSession s = currentSession();
          if (s != null) s.downlink().drain();
        });
  }

  @Override
  public void onNext(AudioChunk chunk) {
    if (userId == null) {
      String named = !chunk.getUserId().isEmpty() ? chunk.getUserId() : metadataUserId;
      Status refusal = RequestValidator.streamAudioFirstMessage(named);
      if (refusal != null) {
        end(refusal);
        return;
      }
      userId = named;
      try (var ignored = MDC.putCloseable("user_id", userId)) {
        log.info("audio stream opened");
      }
      registry.openStream(userId, this);
    }
    if (!chunk.getPcmData().isEmpty()) uplink(chunk);
  }

  synchronized boolean isEnded() {
    return ended;
  }

  private synchronized boolean isSuperseded() {
    return superseded;
  }

  private void uplink(AudioChunk chunk) {
    BridgeSession current = currentSession();
    if (current == null) {
      // No room yet (or this call was superseded by a newer one): nothing to publish into.
      if (isSuperseded()) log.debug("ignoring audio on a superseded stream of {}", userId);
      return;
    }
    current.countFromClient(chunk.getPcmData().size());
    int rate = chunk.getSampleRate() == 0 ? 16_000 : chunk.getSampleRate();
    int channels = chunk.getChannels() == 0 ? 1 : chunk.getChannels();
    String problem =
        UplinkChunks.problem(chunk.getPcmData().size(), rate, channels, chunk.getTrackId());
    if (problem != null) {
      // One policy for bad uplink chunks: drop the chunk whole, count it, warn once per call.
      // The call stays open, so the user's room-to-client audio is never cut by a bad chunk.
      malformedChunks.incrementAndGet();
      if (!warnedMalformed) {
        warnedMalformed = true;
        try (var ignored = MDC.putCloseable("user_id", userId)) {
          log.warn("dropping malformed audio chunks on this stream (counted): {}", problem);
        }
      }
      return;
    }
    // PCM16 little-endian straight from the message's bytes: no intermediate byte[] copy.
    short[] samples = Pcm16.decode(chunk.getPcmData().asReadOnlyByteBuffer());
    UplinkPublisher uplink = current.uplink(chunk.getTrackId());
    if (uplink != null) uplink.write(samples, rate, channels);
  }

  private synchronized BridgeSession currentSession() {
    return session;
  }

  /** Sends {@code newSession}'s room audio on this call from now on. */
  synchronized void attachTo(BridgeSession newSession) {
    if (ended || superseded) return;
    session = newSession;
    newSession.downlink().attach(responses);
  }

  @Override
  public void onError(Throwable t) {
    finish();
  }

  @Override
  public void onCompleted() {
    finish();
    synchronized (responses) {
      try {
        responses.onCompleted();
      } catch (RuntimeException ignored) {
        // Already closed.
      }
    }
  }

  /** LeaveRoom closed the user's session: the stream ends normally. */
  void sessionEnded() {
    finish();
    synchronized (responses) {
      try {
        responses.onCompleted();
      } catch (RuntimeException ignored) {
        // Already closed.
      }
    }
  }

  /**
   * A newer StreamAudio call for the same user took over: this call stops receiving room audio but
   * is not ended, as upstream did (the cloud treats an error as a reason to reconnect).
   */
  void superseded() {
    BridgeSession s;
    synchronized (this) {
      if (ended || superseded) return;
      superseded = true;
      s = session;
      session = null;
    }
    if (s != null) s.downlink().detach(responses);
    if (userId != null) {
      try (var ignored = MDC.putCloseable("user_id", userId)) {
        log.info("audio stream superseded by a newer one; it stays open until the client ends it");
      }
    }
  }

  /** The bridge is stopping. */
  void shutdown() {
    end(Status.UNAVAILABLE.withDescription("the bridge is shutting down"));
  }

  private void onCancelled() {
    finish();
  }

  private void end(Status status) {
    finish();
    synchronized (responses) {
      try {
        responses.onError(status.asRuntimeException());
      } catch (RuntimeException ignored) {
        // Already closed.
      }
    }
  }

  private void finish() {
    BridgeSession s;
    synchronized (this) {
      if (ended) return;
      ended = true;
      s = session;
      session = null;
    }
    if (userId != null) {
      registry.closeStream(userId, this);
      try (var ignored = MDC.putCloseable("user_id", userId)) {
        log.info("audio stream closed");
      }
    }
    if (s != null) s.downlink().detach(responses);
  }
}
