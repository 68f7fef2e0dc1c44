package com.mentra.livekit.rtc;

import livekit.LivekitRtc.JoinResponse;

/**
 * Who we are in the room, as the last join response said: our sid (new on every rejoin), our
 * identity, the room's name and the server's version. Immutable.
 */
record LocalParticipantInfo(String sid, String identity, String roomName, String serverVersion) {
  static final LocalParticipantInfo NOT_JOINED = new LocalParticipantInfo("", "", "", "");

  static LocalParticipantInfo of(JoinResponse join) {
    return new LocalParticipantInfo(
        join.getParticipant().getSid(),
        join.getParticipant().getIdentity(),
        join.getRoom().getName(),
        join.getServerVersion());
  }
}
