package com.mentra.livekit.rtc.internal;

import com.mentra.bridge.core.Handoff;
import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.PeerConnectionObserver;
import dev.onvoid.webrtc.RTCAnswerOptions;
import dev.onvoid.webrtc.RTCConfiguration;
import dev.onvoid.webrtc.RTCDataChannel;
import dev.onvoid.webrtc.RTCDataChannelInit;
import dev.onvoid.webrtc.RTCIceCandidate;
import dev.onvoid.webrtc.RTCOfferOptions;
import dev.onvoid.webrtc.RTCPeerConnection;
import dev.onvoid.webrtc.RTCPeerConnectionState;
import dev.onvoid.webrtc.RTCRtpReceiver;
import dev.onvoid.webrtc.RTCRtpSender;
import dev.onvoid.webrtc.RTCRtpTransceiver;
import dev.onvoid.webrtc.RTCRtpTransceiverDirection;
import dev.onvoid.webrtc.RTCRtpTransceiverInit;
import dev.onvoid.webrtc.RTCSessionDescription;
import dev.onvoid.webrtc.RTCStatsReport;
import dev.onvoid.webrtc.media.MediaStream;
import dev.onvoid.webrtc.media.MediaStreamTrack;
import dev.onvoid.webrtc.media.audio.AudioTrack;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One LiveKit transport: a libwebrtc peer connection (publisher or subscriber) with its offer and
 * answer handling; trickled candidates wait in {@link HeldCandidates} until they can be applied.
 *
 * <p>Not thread-safe: every method must be called on the owner's serial executor. libwebrtc
 * callbacks only hand work to that executor (blocking or calling back into libwebrtc from its own
 * threads deadlocks).
 */
public final class PeerTransport {
  /** Called on the owner's executor. */
  public interface Events {
    void onIceCandidate(PeerTransport transport, RTCIceCandidate candidate);

    void onConnectionState(PeerTransport transport, RTCPeerConnectionState state);

    default void onDataChannel(PeerTransport transport, RTCDataChannel channel) {}

    /**
     * A remote audio track started arriving, or an m-line/transceiver was re-used for another
     * track. {@code streamIds} are the msid stream ids from the SDP (LiveKit: {@code
     * participantSid|trackSid}); the receiver's own track id is not reliable, since a re-used
     * transceiver keeps the id of the first track it carried.
     */
    default void onRemoteAudio(PeerTransport transport, AudioTrack track, List<String> streamIds) {}

    /** A local offer is ready to be sent to the server (publisher). */
    default void onOffer(PeerTransport transport, RTCSessionDescription offer) {}

    void onError(PeerTransport transport, String error);
  }

  private final String name;
  private final Executor executor;
  private final ScheduledExecutorService timers;
  private final Events events;
  private final RTCPeerConnection pc;
  private final HeldCandidates candidates;

  /** Transceivers we added and still hold a native reference on ({@link NativeReferences}). */
  private final List<RTCRtpTransceiver> transceiversAdded = new ArrayList<>();

  private boolean awaitingAnswer;
  private boolean renegotiate;
  private boolean restartIceOnNext;
  private boolean negotiated;
  private boolean closed;

  /** As libwebrtc last reported it; reading it needs no call onto libwebrtc's signalling thread. */
  private volatile RTCPeerConnectionState state = RTCPeerConnectionState.NEW;

  /**
   * @param timers only hands work to this transport's executor (holding candidates back after an
   *     answer)
   */
  public PeerTransport(
      String name,
      PeerConnectionFactory factory,
      RTCConfiguration config,
      Executor owner,
      ScheduledExecutorService timers,
      Events events) {
    this.name = name;
    // libwebrtc's threads hand every event to the owner's queue and must never get an exception
    // back: a full queue is retried (a lost "failed" would leave the room believing it is up).
    this.executor = task -> Handoff.persistently(owner, task, name + " transport event");
    this.timers = timers;
    this.events = events;
    this.pc = factory.createPeerConnection(config, new Observer());
    if (pc == null)
      throw new IllegalStateException(name + ": libwebrtc refused to create a peer connection");
    this.candidates = new HeldCandidates(pc::addIceCandidate);
  }

  public String name() {
    return name;
  }

  public RTCPeerConnectionState connectionState() {
    return closed ? RTCPeerConnectionState.CLOSED : state;
  }

  /**
   * True once {@link #negotiate} was called: this transport is meant to connect. A publisher that
   * nothing has used yet is never negotiated.
   */
  public boolean negotiated() {
    return negotiated;
  }

  public RTCDataChannel createDataChannel(String label, RTCDataChannelInit init) {
    return pc.createDataChannel(label, init);
  }

  /**
   * Adds {@code track} in a send-only transceiver. This transport owns the transceiver's native
   * reference: it is dropped by {@link #stopTransceiver} or when the transport closes, after which
   * the returned object must not be used.
   */
  public RTCRtpTransceiver addSendOnlyTrack(MediaStreamTrack track, List<String> streamIds) {
    RTCRtpTransceiverInit init = new RTCRtpTransceiverInit();
    init.direction = RTCRtpTransceiverDirection.SEND_ONLY;
    init.streamIds = streamIds;
    RTCRtpTransceiver transceiver = pc.addTransceiver(track, init);
    if (transceiver != null) transceiversAdded.add(transceiver);
    return transceiver;
  }

  /**
   * Stops a track's transceiver for good: the next offer rejects its m-section (and libwebrtc
   * recycles the slot for the next track), which is what frees the send stream and its encoder
   * thread; {@link #removeTrack} only makes the m-section inactive and keeps both for as long as
   * the connection lives. Then drops our reference, so libwebrtc frees it once negotiated away; the
   * transceiver must not be used after this.
   */
  public void stopTransceiver(RTCRtpTransceiver transceiver) {
    if (closed || !transceiversAdded.remove(transceiver)) return;
    if (!transceiver.stopped()) transceiver.stop();
    NativeReferences.releaseAndForget(transceiver);
  }

  public void removeTrack(RTCRtpSender sender) {
    if (!closed) pc.removeTrack(sender);
  }

  /**
   * Publisher: creates and applies a local offer, then reports it through {@link Events#onOffer}.
   */
  public void negotiate(boolean iceRestart) {
    if (closed) return;
    negotiated = true;
    restartIceOnNext |= iceRestart;
    if (awaitingAnswer) {
      renegotiate = true;
      return;
    }
    awaitingAnswer = true;
    RTCOfferOptions options = new RTCOfferOptions();
    options.iceRestart = restartIceOnNext;
    restartIceOnNext = false;
    pc.createOffer(
        options,
        DescriptionCallbacks.created(
            executor, this::applyLocalOffer, error -> fail("create offer: " + error)));
  }

  private void applyLocalOffer(RTCSessionDescription offer) {
    if (closed) return;
    pc.setLocalDescription(
        offer,
        DescriptionCallbacks.applied(
            executor,
            () -> {
              if (!closed) events.onOffer(this, offer);
            },
            error -> fail("set local offer: " + error)));
  }

  /** Publisher: applies the server's answer to our offer. */
  public void acceptAnswer(RTCSessionDescription answer) {
    if (closed) return;
    pc.setRemoteDescription(
        answer,
        DescriptionCallbacks.applied(
            executor,
            () -> {
              if (closed) return;
              candidates.remoteDescriptionApplied();
              awaitingAnswer = false;
              if (renegotiate) {
                renegotiate = false;
                negotiate(false);
              }
            },
            error -> {
              awaitingAnswer = false;
              fail("set remote answer: " + error);
            }));
  }

  /**
   * Collects libwebrtc's stats; {@code sink} runs on a libwebrtc thread and must only read the
   * report (never call into libwebrtc).
   */
  public void stats(Consumer<RTCStatsReport> sink) {
    if (closed) {
      sink.accept(null);
      return;
    }
    pc.getStats(sink::accept);
  }

  /** Subscriber: applies the server's offer and hands our answer to {@code answerSink}. */
  public void acceptOffer(RTCSessionDescription offer, Consumer<RTCSessionDescription> answerSink) {
    if (closed) return;
    int number = candidates.holdForOffer();
    pc.setRemoteDescription(
        offer,
        DescriptionCallbacks.applied(
            executor,
            () -> {
              if (closed) return;
              candidates.remoteDescriptionApplied();
              reportRemoteAudio(offer.sdp);
              createAnswer(answerSink, number);
            },
            error -> fail("set remote offer: " + error)));
  }

  /**
   * Reports every receiving audio transceiver with the msid the offer gives its m-line. LiveKit
   * re-uses m-lines for new tracks, sometimes without a direction change, and libwebrtc then fires
   * no track event at all; the SDP is the one place that always names the current track.
   */
  private void reportRemoteAudio(String sdp) {
    Map<String, String> streamByMid = SdpMsids.audioStreamsByMid(sdp);
    if (streamByMid.isEmpty()) return;
    for (RTCRtpTransceiver transceiver : pc.getTransceivers()) {
      String stream = streamByMid.get(transceiver.getMid());
      if (stream != null && transceiver.getReceiver().getTrack() instanceof AudioTrack audio) {
        events.onRemoteAudio(this, audio, List.of(stream));
      }
    }
  }

  private void createAnswer(Consumer<RTCSessionDescription> answerSink, int offerNumber) {
    pc.createAnswer(
        new RTCAnswerOptions(),
        DescriptionCallbacks.created(
            executor,
            answer -> {
              if (closed) return;
              pc.setLocalDescription(
                  answer,
                  DescriptionCallbacks.applied(
                      executor,
                      () -> {
                        if (closed) return;
                        answerSink.accept(answer);
                        try {
                          timers.schedule(
                              () -> executor.execute(() -> releaseCandidates(offerNumber)),
                              HeldCandidates.ANSWER_CHECK_DELAY_MS,
                              TimeUnit.MILLISECONDS);
                        } catch (RejectedExecutionException shuttingDown) {
                          releaseCandidates(offerNumber);
                        }
                      },
                      error -> fail("set local answer: " + error)));
            },
            error -> fail("create answer: " + error)));
  }

  /**
   * An ICE restart is starting: remote candidates wait (for the new generation's description)
   * instead of being applied to the old one, which libwebrtc would reject or misapply.
   */
  public void prepareIceRestart() {
    if (!closed) candidates.iceRestart();
  }

  /**
   * Adds a trickled remote candidate, holding it until a remote description exists and, after an
   * offer from the server, until {@link HeldCandidates#ANSWER_CHECK_DELAY_MS} after our answer went
   * out.
   */
  public void addRemoteCandidate(RTCIceCandidate candidate) {
    if (!closed) candidates.add(candidate);
  }

  private void releaseCandidates(int offerNumber) {
    if (!closed) candidates.release(offerNumber);
  }

  private void fail(String error) {
    if (!closed) events.onError(this, name + ": " + error);
  }

  /** Closes the peer connection and frees it; idempotent. */
  public void close() {
    if (closed) return;
    closed = true;
    candidates.clear();
    long handle = NativeReferences.handleOf(pc); // close() clears it
    pc.close();
    NativeReferences.release(handle);
    for (RTCRtpTransceiver transceiver : transceiversAdded)
      NativeReferences.releaseAndForget(transceiver);
    transceiversAdded.clear();
  }

  private final class Observer implements PeerConnectionObserver {
    @Override
    public void onIceCandidate(RTCIceCandidate candidate) {
      executor.execute(
          () -> {
            if (!closed) events.onIceCandidate(PeerTransport.this, candidate);
          });
    }

    @Override
    public void onConnectionChange(RTCPeerConnectionState newState) {
      state = newState;
      executor.execute(
          () -> {
            if (!closed) events.onConnectionState(PeerTransport.this, newState);
          });
    }

    @Override
    public void onDataChannel(RTCDataChannel channel) {
      executor.execute(
          () -> {
            if (closed) {
              channel.dispose();
            } else {
              events.onDataChannel(PeerTransport.this, channel);
            }
          });
    }

    // Runs on libwebrtc's signaling thread, where reading the stream ids is a direct call (not a
    // proxied one); only the ids and the track wrapper are handed to the executor.
    @Override
    public void onAddTrack(RTCRtpReceiver receiver, MediaStream[] streams) {
      if (!(receiver.getTrack() instanceof AudioTrack audio)) return;
      List<String> ids = new ArrayList<>();
      for (MediaStream stream : streams) ids.add(stream.id());
      executor.execute(
          () -> {
            if (!closed) events.onRemoteAudio(PeerTransport.this, audio, ids);
          });
    }
  }
}
