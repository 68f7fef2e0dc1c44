package com.mentra.livekit.rtc;

import dev.onvoid.webrtc.media.audio.AudioTrack;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Routes subscribed remote audio tracks to the {@link RemoteAudioReceiver}s that asked for a
 * participant's audio. Tracks are named by their msid stream id ({@code participantSid|trackSid})
 * as LiveKit's SDKs do, never by the receiver's track id: a re-used transceiver keeps the id of the
 * first track it carried, so after a participant rejoins or republishes its microphone that id
 * names a track that no longer exists. A participant's microphone wins over its other audio.
 *
 * <p>Confined to the room's executor, except {@link #add} and {@link #remove} (receivers come and
 * go from any thread; the list is copy-on-write).
 */
final class RemoteAudioRouter {
  private final ParticipantTracker participants;
  private final List<RemoteAudioReceiver> receivers = new CopyOnWriteArrayList<>();

  /** Subscribed audio by track sid. */
  private final Map<String, AudioTrack> subscribed = new HashMap<>();

  RemoteAudioRouter(ParticipantTracker participants) {
    this.participants = participants;
  }

  void add(RemoteAudioReceiver receiver) {
    receivers.add(receiver);
  }

  void remove(RemoteAudioReceiver receiver) {
    receivers.remove(receiver);
  }

  /**
   * A subscribed track arrived (or an m-line was re-used) under the msid {@code streamIds}; returns
   * its track sid when it is new, null when this was already known (reported on every offer).
   */
  String onRemoteAudio(AudioTrack audio, List<String> streamIds) {
    String trackSid = null;
    boolean unnamed = !streamIds.isEmpty();
    for (String id : streamIds) {
      if (id == null) continue;
      unnamed = false;
      int bar = id.indexOf('|');
      if (bar > 0 && bar < id.length() - 1) trackSid = id.substring(bar + 1);
    }
    // libwebrtc's onAddTrack may report streams it has no id for yet: the applied offer's msid
    // report for the same transceiver follows and names the track.
    if (unnamed) return null;
    if (trackSid == null) trackSid = audio.getId();
    AudioTrack known = subscribed.get(trackSid);
    if (known != null && sameTrack(known, audio)) return null;
    // The transceiver now carries this track: a sid it carried before is stale.
    subscribed.values().removeIf(other -> sameTrack(other, audio));
    subscribed.put(trackSid, audio);
    RemoteParticipant owner = participants.ownerOfTrack(trackSid);
    if (owner != null) attach(owner.identity());
    return trackSid;
  }

  /**
   * A remote track was unpublished; its receivers detach unless the transceiver already carries the
   * next track.
   */
  void onTrackUnpublished(String trackSid) {
    AudioTrack gone = subscribed.remove(trackSid);
    if (gone == null || subscribed.values().stream().anyMatch(other -> sameTrack(other, gone)))
      return;
    for (RemoteAudioReceiver receiver : receivers) {
      if (receiver.isAttachedTo(gone)) receiver.detach();
    }
  }

  /** Points every receiver for {@code identity} at that participant's subscribed audio, if any. */
  void attach(String identity) {
    RemoteParticipant participant = participants.byIdentity(identity);
    if (participant == null) return;
    AudioTrack chosen = null;
    for (RemoteTrackPublication t : participant.tracks()) {
      AudioTrack candidate = subscribed.get(t.sid());
      if (candidate != null && (chosen == null || t.source() == TrackSource.MICROPHONE))
        chosen = candidate;
    }
    if (chosen == null) return;
    for (RemoteAudioReceiver receiver : receivers) {
      if (receiver.participantIdentity().equals(identity)) receiver.attach(chosen);
    }
  }

  void attachAll() {
    for (RemoteAudioReceiver receiver : receivers) attach(receiver.participantIdentity());
  }

  /** The transports went away: receivers stay, waiting for the next join's tracks. */
  void detachAll() {
    for (RemoteAudioReceiver receiver : receivers) receiver.detach();
    subscribed.clear();
  }

  /** The room closed. */
  void closeAll() {
    for (RemoteAudioReceiver receiver : receivers) receiver.close();
    receivers.clear();
    subscribed.clear();
  }

  private static boolean sameTrack(AudioTrack a, AudioTrack b) {
    return a == b || a.getId().equals(b.getId());
  }
}
