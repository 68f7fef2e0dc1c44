package com.mentra.livekit.rtc;

import dev.onvoid.webrtc.media.audio.AudioTrack;
import java.util.List;
import livekit.LivekitModels.ParticipantInfo;
import livekit.LivekitModels.TrackInfo;
import livekit.LivekitRtc.JoinResponse;
import livekit.LivekitRtc.LeaveRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the {@link RoomEngine}'s current session reports, routed to what outlives the join: our
 * identity after a join, the {@link LocalPublications}, the {@link RemoteParticipants} and the
 * listener; a lost connection, a server leave and a refreshed token go to the engine.
 *
 * <p>Confined to the room's executor, like the session that calls it, except {@link #onData}, which
 * runs on a libwebrtc thread and only hands the packet to the {@link ListenerQueue}.
 */
final class SessionEventRouter implements SessionEvents {
  private static final Logger log = LoggerFactory.getLogger(SessionEventRouter.class);

  private final RoomEngine engine;
  private final LocalPublications publications;
  private final RemoteParticipants remote;
  private final ListenerQueue listener;

  SessionEventRouter(
      RoomEngine engine,
      LocalPublications publications,
      RemoteParticipants remote,
      ListenerQueue listener) {
    this.engine = engine;
    this.publications = publications;
    this.remote = remote;
    this.listener = listener;
  }

  @Override
  public void onJoined(JoinResponse join) {
    LocalParticipantInfo local = LocalParticipantInfo.of(join);
    engine.setLocal(local);
    RtcSession session = engine.session();
    log.info(
        "joined room '{}' as '{}' ({}) on LiveKit {}",
        local.roomName(),
        local.identity(),
        local.sid(),
        local.serverVersion());
    publications.requestAll(session);
    remote.onJoined(join.getOtherParticipantsList(), session);
  }

  @Override
  public void onLost(String why) {
    engine.onTransportLost(why);
  }

  @Override
  public void onRemoteAudio(AudioTrack track, List<String> streamIds) {
    remote.onRemoteAudio(track, streamIds, engine.local().roomName());
  }

  @Override
  public void onData(DataPacket packet) {
    listener.emit(l -> l.onDataReceived(packet));
  }

  @Override
  public void onParticipantUpdate(List<ParticipantInfo> participants) {
    remote.onUpdate(participants, engine.local(), engine.session());
  }

  @Override
  public void onLocalTrackPublished(String cid, TrackInfo track) {
    publications.onPublished(cid, track, engine.session(), engine.local().sid());
  }

  @Override
  public void onLocalTrackUnpublished(String trackSid) {
    log.info("server unpublished our track {}", trackSid);
  }

  @Override
  public void onLocalTrackSubscribed(String trackSid) {
    publications.onSubscribed(trackSid);
  }

  @Override
  public void onLeave(LeaveRequest leave) {
    engine.onServerLeave(leave);
  }

  @Override
  public void onRefreshToken(String refreshed) {
    engine.setToken(refreshed);
  }
}
