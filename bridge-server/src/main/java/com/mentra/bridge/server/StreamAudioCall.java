package com.mentra.bridge.server;

import com.mentra.bridge.api.AudioChunk;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One StreamAudio call. The first message names the user (its user_id, or the call's
 * {@code user-id} metadata); PCM in later messages goes to that user's session's uplink, and the
 * session's room audio goes out on this call's responses. The call outlives session replacement:
 * a re-join attaches the new session to it. Inbound messages arrive one at a time (gRPC
 * guarantees it); attach and end may come from other threads and are synchronized.
 */
final class StreamAudioCall implements StreamObserver<AudioChunk> {
  private static final Logger log = LoggerFactory.getLogger(StreamAudioCall.class);
  private static final int MAX_CHUNK_BYTES = 48_000 * 2 * 2 * 2; // 2 s of 48 kHz stereo

  private final SessionRegistry registry;
  private final ServerCallStreamObserver<AudioChunk> responses;
  private final String metadataUserId;
  private final AtomicLong malformedChunks;
  private String userId;
  private BridgeSession session;
  private boolean ended;

  StreamAudioCall(SessionRegistry registry, ServerCallStreamObserver<AudioChunk> responses, String metadataUserId, AtomicLong malformedChunks) {
    this.registry = registry;
    this.responses = responses;
    this.metadataUserId = metadataUserId == null ? "" : metadataUserId;
    this.malformedChunks = malformedChunks;
    responses.setOnCancelHandler(this::onCancelled);
    // Handlers can only be set before the service returns; route readiness to whichever session is attached.
    responses.setOnReadyHandler(() -> {
      BridgeSession s = currentSession();
      if (s != null) s.downlink().drain();
    });
  }

  @Override
  public void onNext(AudioChunk chunk) {
    if (userId == null) {
      String named = !chunk.getUserId().isEmpty() ? chunk.getUserId() : metadataUserId;
      if (named.isEmpty()) {
        end(Status.INVALID_ARGUMENT.withDescription("the first StreamAudio message must name the user (user_id field or user-id metadata)"));
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

  private void uplink(AudioChunk chunk) {
    BridgeSession current = currentSession();
    if (current == null) return; // no room yet: nothing to publish into
    int rate = chunk.getSampleRate() == 0 ? 16_000 : chunk.getSampleRate();
    int channels = chunk.getChannels() == 0 ? 1 : chunk.getChannels();
    byte[] pcm = chunk.getPcmData().toByteArray();
    if (rate < 8_000 || rate > 48_000 || channels < 1 || channels > 2 || pcm.length > MAX_CHUNK_BYTES) {
      malformedChunks.incrementAndGet();
      end(Status.INVALID_ARGUMENT.withDescription("unsupported audio chunk: " + pcm.length + " bytes at " + rate
          + " Hz x" + channels + " (8-48 kHz, 1 or 2 channels, at most " + MAX_CHUNK_BYTES + " bytes)"));
      return;
    }
    int frameBytes = 2 * channels;
    int usable = pcm.length - pcm.length % frameBytes;
    if (usable != pcm.length) malformedChunks.incrementAndGet(); // a partial frame is dropped, counted
    if (usable == 0) return;
    short[] samples = new short[usable / 2];
    for (int i = 0; i < samples.length; i++) samples[i] = (short) ((pcm[2 * i] & 0xff) | (pcm[2 * i + 1] << 8));
    current.uplink().write(samples, rate, channels);
  }

  private synchronized BridgeSession currentSession() {
    return session;
  }

  /** Sends {@code newSession}'s room audio on this call from now on. */
  synchronized void attachTo(BridgeSession newSession) {
    if (ended) return;
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
    synchronized (this) {
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
    synchronized (this) {
      try {
        responses.onCompleted();
      } catch (RuntimeException ignored) {
        // Already closed.
      }
    }
  }

  /** A newer StreamAudio call for the same user took over. */
  void replaced() {
    end(Status.ABORTED.withDescription("replaced by a newer StreamAudio call for this user"));
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
    synchronized (this) {
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
