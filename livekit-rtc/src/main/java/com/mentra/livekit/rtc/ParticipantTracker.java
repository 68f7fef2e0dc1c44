package com.mentra.livekit.rtc;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import livekit.LivekitModels.ParticipantInfo;
import livekit.LivekitModels.TrackInfo;
import livekit.LivekitModels.TrackType;

/**
 * The remote participants as the server last described them, and the events that follow from each
 * update. Not thread-safe: used on the room's executor; {@link #snapshot()} is safe to read from
 * any thread.
 */
final class ParticipantTracker {
  /** Receives the differences an update makes. */
  interface Changes {
    void joined(RemoteParticipant participant);

    void left(RemoteParticipant participant);

    void trackPublished(RemoteParticipant participant, RemoteTrackPublication track);

    void trackUnpublished(RemoteParticipant participant, RemoteTrackPublication track);
  }

  private final Map<String, RemoteParticipant> bySid = new LinkedHashMap<>();
  private final Map<String, String> trackOwner = new HashMap<>();
  private volatile List<RemoteParticipant> snapshot = List.of();

  void reset(List<ParticipantInfo> participants) {
    bySid.clear();
    trackOwner.clear();
    for (ParticipantInfo info : participants) {
      RemoteParticipant p = toModel(info);
      bySid.put(p.sid(), p);
      for (RemoteTrackPublication t : p.tracks()) trackOwner.put(t.sid(), p.sid());
    }
    publish();
  }

  void apply(ParticipantInfo info, Changes changes) {
    RemoteParticipant previous = bySid.get(info.getSid());
    if (info.getState() == ParticipantInfo.State.DISCONNECTED) {
      if (previous != null) {
        bySid.remove(info.getSid());
        for (RemoteTrackPublication t : previous.tracks()) {
          trackOwner.remove(t.sid());
          changes.trackUnpublished(previous, t);
        }
        publish();
        changes.left(previous);
      }
      return;
    }
    RemoteParticipant current = toModel(info);
    bySid.put(current.sid(), current);
    publish();
    if (previous == null) changes.joined(current);
    Map<String, RemoteTrackPublication> before = new HashMap<>();
    if (previous != null) for (RemoteTrackPublication t : previous.tracks()) before.put(t.sid(), t);
    for (RemoteTrackPublication t : current.tracks()) {
      trackOwner.put(t.sid(), current.sid());
      if (before.remove(t.sid()) == null) changes.trackPublished(current, t);
    }
    for (RemoteTrackPublication gone : before.values()) {
      trackOwner.remove(gone.sid());
      changes.trackUnpublished(current, gone);
    }
  }

  RemoteParticipant ownerOfTrack(String trackSid) {
    String owner = trackOwner.get(trackSid);
    return owner == null ? null : bySid.get(owner);
  }

  RemoteTrackPublication track(String trackSid) {
    RemoteParticipant owner = ownerOfTrack(trackSid);
    if (owner == null) return null;
    for (RemoteTrackPublication t : owner.tracks()) if (t.sid().equals(trackSid)) return t;
    return null;
  }

  RemoteParticipant byIdentity(String identity) {
    for (RemoteParticipant p : bySid.values()) if (p.identity().equals(identity)) return p;
    return null;
  }

  List<RemoteParticipant> snapshot() {
    return snapshot;
  }

  private void publish() {
    snapshot = List.copyOf(new ArrayList<>(bySid.values()));
  }

  private static RemoteParticipant toModel(ParticipantInfo info) {
    List<RemoteTrackPublication> tracks = new ArrayList<>();
    for (TrackInfo t : info.getTracksList()) {
      tracks.add(
          new RemoteTrackPublication(
              t.getSid(), t.getName(), kind(t.getType()), source(t.getSource()), t.getMuted()));
    }
    return new RemoteParticipant(info.getSid(), info.getIdentity(), info.getName(), tracks);
  }

  private static TrackKind kind(TrackType type) {
    return switch (type) {
      case AUDIO -> TrackKind.AUDIO;
      case VIDEO -> TrackKind.VIDEO;
      case DATA -> TrackKind.DATA;
      default -> TrackKind.UNKNOWN;
    };
  }

  private static TrackSource source(livekit.LivekitModels.TrackSource source) {
    return switch (source) {
      case CAMERA -> TrackSource.CAMERA;
      case MICROPHONE -> TrackSource.MICROPHONE;
      case SCREEN_SHARE -> TrackSource.SCREEN_SHARE;
      case SCREEN_SHARE_AUDIO -> TrackSource.SCREEN_SHARE_AUDIO;
      default -> TrackSource.UNKNOWN;
    };
  }

  static livekit.LivekitModels.TrackSource toProto(TrackSource source) {
    return switch (source) {
      case CAMERA -> livekit.LivekitModels.TrackSource.CAMERA;
      case MICROPHONE -> livekit.LivekitModels.TrackSource.MICROPHONE;
      case SCREEN_SHARE -> livekit.LivekitModels.TrackSource.SCREEN_SHARE;
      case SCREEN_SHARE_AUDIO -> livekit.LivekitModels.TrackSource.SCREEN_SHARE_AUDIO;
      case UNKNOWN -> livekit.LivekitModels.TrackSource.UNKNOWN;
    };
  }
}
