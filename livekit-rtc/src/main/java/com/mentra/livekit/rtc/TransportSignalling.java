package com.mentra.livekit.rtc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.mentra.livekit.rtc.internal.PeerTransport;
import dev.onvoid.webrtc.RTCDataChannel;
import dev.onvoid.webrtc.RTCIceCandidate;
import dev.onvoid.webrtc.RTCPeerConnectionState;
import dev.onvoid.webrtc.RTCSdpType;
import dev.onvoid.webrtc.RTCSessionDescription;
import dev.onvoid.webrtc.media.audio.AudioTrack;
import java.util.List;
import livekit.LivekitRtc.SessionDescription;
import livekit.LivekitRtc.SignalRequest;
import livekit.LivekitRtc.SignalTarget;
import livekit.LivekitRtc.TrickleRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What passes between an {@link RtcSession}'s two transports and the rest of the session: the
 * server's offers, answers and trickled candidates in, our offers, answers and candidates out on
 * the session's signal; a connected transport to the session's join or resume check (and the
 * publisher to the outbound data), a failed one as a lost connection, and the subscriber's data
 * channels and remote audio to the session and its room. A closed transport reports nothing.
 *
 * <p>Confined to the room's executor: the transports hand libwebrtc's events over to it, and the
 * session's signal messages arrive on it.
 */
final class TransportSignalling implements PeerTransport.Events {
  private static final Logger log = LoggerFactory.getLogger(TransportSignalling.class);

  private final RtcSession session;
  private final DataChannelSender data;
  private final InboundDataChannels inbound;
  private final SessionEvents events;

  TransportSignalling(
      RtcSession session,
      DataChannelSender data,
      InboundDataChannels inbound,
      SessionEvents events) {
    this.session = session;
    this.data = data;
    this.inbound = inbound;
    this.events = events;
  }

  /** The server's offer for the subscriber; our answer goes back on the signal. */
  void onServerOffer(SessionDescription offer) {
    PeerTransport subscriber = session.subscriber();
    if (subscriber == null) return;
    subscriber.acceptOffer(
        new RTCSessionDescription(RTCSdpType.OFFER, offer.getSdp()),
        answer -> {
          session.send(
              SignalRequest.newBuilder()
                  .setAnswer(
                      SessionDescription.newBuilder()
                          .setType("answer")
                          .setSdp(answer.sdp)
                          .setId(offer.getId()))
                  .build());
        });
  }

  /** The server's answer to the publisher's offer. */
  void onServerAnswer(SessionDescription answer) {
    PeerTransport publisher = session.publisher();
    if (publisher != null)
      publisher.acceptAnswer(new RTCSessionDescription(RTCSdpType.ANSWER, answer.getSdp()));
  }

  /** A candidate the server trickled for one of the transports. */
  void onServerTrickle(TrickleRequest trickle) {
    PeerTransport target =
        trickle.getTarget() == SignalTarget.PUBLISHER ? session.publisher() : session.subscriber();
    if (target == null) return;
    try {
      target.addRemoteCandidate(IceCandidates.fromJson(trickle.getCandidateInit()));
    } catch (InvalidProtocolBufferException e) {
      log.warn("ignored malformed trickle candidate: {}", trickle.getCandidateInit());
    }
  }

  @Override
  public void onIceCandidate(PeerTransport transport, RTCIceCandidate candidate) {
    session.send(
        SignalRequest.newBuilder()
            .setTrickle(
                TrickleRequest.newBuilder()
                    .setCandidateInit(IceCandidates.toJson(candidate))
                    .setTarget(
                        transport == session.publisher()
                            ? SignalTarget.PUBLISHER
                            : SignalTarget.SUBSCRIBER))
            .build());
  }

  @Override
  public void onConnectionState(PeerTransport transport, RTCPeerConnectionState state) {
    log.debug("{} {}", transport.name(), state);
    if (state == RTCPeerConnectionState.CONNECTED) {
      session.checkTransportsUp();
      if (transport == session.publisher()) data.flush();
    } else if (state == RTCPeerConnectionState.FAILED) {
      events.onLost(transport.name() + " transport failed");
    }
  }

  @Override
  public void onDataChannel(PeerTransport transport, RTCDataChannel channel) {
    if (transport != session.subscriber()) {
      channel.dispose();
      return;
    }
    inbound.add(channel);
    // A channel announced by the server is usually open already, and then no state change
    // follows: without this look the join waited for the next 250 ms poll.
    session.checkTransportsUp();
  }

  @Override
  public void onRemoteAudio(PeerTransport transport, AudioTrack track, List<String> streamIds) {
    if (transport == session.subscriber()) events.onRemoteAudio(track, streamIds);
  }

  @Override
  public void onOffer(PeerTransport transport, RTCSessionDescription offer) {
    if (transport != session.publisher()) return;
    session.send(
        SignalRequest.newBuilder()
            .setOffer(SessionDescription.newBuilder().setType("offer").setSdp(offer.sdp))
            .build());
  }

  @Override
  public void onError(PeerTransport transport, String error) {
    log.warn("{}", error);
    events.onLost(error);
  }
}
