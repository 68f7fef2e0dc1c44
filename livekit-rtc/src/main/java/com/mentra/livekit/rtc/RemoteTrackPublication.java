package com.mentra.livekit.rtc;

/** A track a remote participant published (snapshot; immutable). */
public record RemoteTrackPublication(
    String sid, String name, TrackKind kind, TrackSource source, boolean muted) {}
