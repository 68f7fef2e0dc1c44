package com.mentra.livekit.rtc;

import dev.onvoid.webrtc.media.audio.AudioTrack;
import java.util.List;
import java.util.Set;
import livekit.LivekitModels.ParticipantInfo;
import livekit.LivekitModels.ParticipantTracks;
import livekit.LivekitRtc.SignalRequest;
import livekit.LivekitRtc.UpdateSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The room's other participants: who is there with which tracks ({@link ParticipantTracker}), the
 * audio we ask the server for (only the identities {@link RoomOptions#audioSubscriptions} names,
 * when set; otherwise the server subscribes us to all), and where their subscribed audio goes
 * ({@link RemoteAudioRouter}). Every change is told to the listener too. Outlives the joins: a new
 * join's participant list replaces the last.
 *
 * <p>Confined to the room's executor, except {@link #snapshot}, {@link #addReceiver} and {@link
 * #removeReceiver}, which any thread may call.
 */
final class RemoteParticipants {
  private static final Logger log = LoggerFactory.getLogger(RemoteParticipants.class);

  private final RoomExecutor room;

  /** The identities whose audio we subscribe to; null: the server subscribes us to everything. */
  private final Set<String> wantedAudio;

  private final ListenerQueue listener;
  private final ParticipantTracker tracker = new ParticipantTracker();
  private final RemoteAudioRouter audio = new RemoteAudioRouter(tracker);

  RemoteParticipants(RoomExecutor room, Set<String> wantedAudio, ListenerQueue listener) {
    this.room = room;
    this.wantedAudio = wantedAudio;
    this.listener = listener;
  }

  List<RemoteParticipant> snapshot() {
    return tracker.snapshot();
  }

  void addReceiver(RemoteAudioReceiver receiver) {
    audio.add(receiver);
  }

  void removeReceiver(RemoteAudioReceiver receiver) {
    audio.remove(receiver);
  }

  /** Points {@code identity}'s receivers at its subscribed audio, if any yet. */
  void attach(String identity) {
    room.checkCurrent();
    audio.attach(identity);
  }

  /**
   * A join: {@code others} are in the room now; asks {@code session} for the audio we want of them.
   */
  void onJoined(List<ParticipantInfo> others, RtcSession session) {
    room.checkCurrent();
    tracker.reset(others);
    audio.attachAll();
    for (RemoteParticipant participant : tracker.snapshot()) {
      for (RemoteTrackPublication track : participant.tracks())
        subscribeIfWanted(participant, track, session);
    }
  }

  /** The server's participant update; the entries describing ourselves are skipped. */
  void onUpdate(List<ParticipantInfo> infos, LocalParticipantInfo local, RtcSession session) {
    room.checkCurrent();
    ListenerChanges changes = new ListenerChanges(session);
    for (ParticipantInfo info : infos) {
      if (info.getSid().equals(local.sid()) || info.getIdentity().equals(local.identity()))
        continue;
      tracker.apply(info, changes);
    }
  }

  /** A subscribed audio track arrived (see {@link RemoteAudioRouter}): tells the listener once. */
  void onRemoteAudio(AudioTrack track, List<String> streamIds, String roomName) {
    room.checkCurrent();
    String trackSid = audio.onRemoteAudio(track, streamIds);
    if (trackSid == null) return;
    RemoteParticipant owner = tracker.ownerOfTrack(trackSid);
    log.debug(
        "room '{}': audio track {} of {} subscribed",
        roomName,
        trackSid,
        owner == null ? "(not yet known)" : owner.identity());
    if (owner != null) {
      RemoteTrackPublication publication = tracker.track(trackSid);
      listener.emit(l -> l.onTrackSubscribed(owner, publication));
    }
  }

  /** The join's transports went away: receivers stay, waiting for the next join's tracks. */
  void detachAll() {
    room.checkCurrent();
    audio.detachAll();
  }

  /** The room closed: every receiver closes. */
  void closeAll() {
    room.checkCurrent();
    audio.closeAll();
  }

  private void subscribeIfWanted(
      RemoteParticipant participant, RemoteTrackPublication track, RtcSession session) {
    if (wantedAudio == null
        || track.kind() != TrackKind.AUDIO
        || !wantedAudio.contains(participant.identity())
        || session == null) return;
    session.send(
        SignalRequest.newBuilder()
            .setSubscription(
                UpdateSubscription.newBuilder()
                    .addTrackSids(track.sid())
                    .setSubscribe(true)
                    .addParticipantTracks(
                        ParticipantTracks.newBuilder()
                            .setParticipantSid(participant.sid())
                            .addTrackSids(track.sid())))
            .build());
  }

  /** Passes an update's differences to the listener, subscribing to and routing new audio. */
  private final class ListenerChanges implements ParticipantTracker.Changes {
    private final RtcSession session;

    ListenerChanges(RtcSession session) {
      this.session = session;
    }

    @Override
    public void joined(RemoteParticipant participant) {
      listener.emit(l -> l.onParticipantConnected(participant));
    }

    @Override
    public void left(RemoteParticipant participant) {
      listener.emit(l -> l.onParticipantDisconnected(participant));
    }

    @Override
    public void trackPublished(RemoteParticipant participant, RemoteTrackPublication track) {
      listener.emit(l -> l.onTrackPublished(participant, track));
      subscribeIfWanted(participant, track, session);
      audio.attach(participant.identity());
    }

    @Override
    public void trackUnpublished(RemoteParticipant participant, RemoteTrackPublication track) {
      audio.onTrackUnpublished(track.sid());
      listener.emit(l -> l.onTrackUnpublished(participant, track));
    }
  }
}
