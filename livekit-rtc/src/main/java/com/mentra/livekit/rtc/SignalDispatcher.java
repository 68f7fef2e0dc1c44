package com.mentra.livekit.rtc;

import java.util.List;
import livekit.LivekitModels.ParticipantInfo;
import livekit.LivekitModels.TrackInfo;
import livekit.LivekitRtc.JoinResponse;
import livekit.LivekitRtc.LeaveRequest;
import livekit.LivekitRtc.ReconnectResponse;
import livekit.LivekitRtc.SessionDescription;
import livekit.LivekitRtc.SignalResponse;
import livekit.LivekitRtc.TrickleRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a signal message from the server into a typed call (as server-sdk-go's
 * signalling/signalhandler.go does) on the one that acts on it: messages about one join's
 * signalling and transports go to its {@link RtcSession}, messages about the room to the {@link
 * RoomEngine}. Each message has exactly one handler, so neither passes the other's along.
 *
 * <p>Stateless; the handlers are called on the thread that dispatches (the room's executor).
 */
final class SignalDispatcher {
  private static final Logger log = LoggerFactory.getLogger(SignalDispatcher.class);

  private SignalDispatcher() {}

  /** One join's messages: its join response, descriptions and candidates, pongs. */
  interface SessionSignals {
    void onJoin(JoinResponse join);

    /** The server accepted our resume. */
    void onResumed(ReconnectResponse response);

    /** The server's offer for the subscriber. */
    void onOffer(SessionDescription offer);

    /** The server's answer to the publisher's offer. */
    void onAnswer(SessionDescription answer);

    void onTrickle(TrickleRequest trickle);

    void onPong();
  }

  /** The room's messages: other participants, our own tracks, the server's leave, a new token. */
  interface RoomSignals {
    /** Participants that joined, changed or left (ourselves included; the handler skips us). */
    void onParticipantUpdate(List<ParticipantInfo> participants);

    /** The server accepted our track {@code cid} (an AddTrack request) as {@code track}. */
    void onLocalTrackPublished(String cid, TrackInfo track);

    void onLocalTrackUnpublished(String trackSid);

    /** The first subscriber attached to our track {@code trackSid}. */
    void onLocalTrackSubscribed(String trackSid);

    void onLeave(LeaveRequest leave);

    void onRefreshToken(String token);
  }

  static void dispatch(SignalResponse message, SessionSignals session, RoomSignals room) {
    switch (message.getMessageCase()) {
      case JOIN -> session.onJoin(message.getJoin());
      case RECONNECT -> session.onResumed(message.getReconnect());
      case OFFER -> session.onOffer(message.getOffer());
      case ANSWER -> session.onAnswer(message.getAnswer());
      case TRICKLE -> session.onTrickle(message.getTrickle());
      case PONG, PONG_RESP -> session.onPong();
      case UPDATE -> room.onParticipantUpdate(message.getUpdate().getParticipantsList());
      case TRACK_PUBLISHED ->
          room.onLocalTrackPublished(
              message.getTrackPublished().getCid(), message.getTrackPublished().getTrack());
      case TRACK_UNPUBLISHED ->
          room.onLocalTrackUnpublished(message.getTrackUnpublished().getTrackSid());
      case TRACK_SUBSCRIBED ->
          room.onLocalTrackSubscribed(message.getTrackSubscribed().getTrackSid());
      case LEAVE -> room.onLeave(message.getLeave());
      case REFRESH_TOKEN -> room.onRefreshToken(message.getRefreshToken());
      default -> log.trace("ignored signal message {}", message.getMessageCase());
    }
  }
}
