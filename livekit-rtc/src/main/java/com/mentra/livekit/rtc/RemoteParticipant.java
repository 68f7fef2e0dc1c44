package com.mentra.livekit.rtc;

import java.util.List;

/** A remote participant as last reported by the server (snapshot; immutable). */
public record RemoteParticipant(
    String sid, String identity, String name, List<RemoteTrackPublication> tracks) {
  public RemoteParticipant {
    tracks = List.copyOf(tracks);
  }
}
