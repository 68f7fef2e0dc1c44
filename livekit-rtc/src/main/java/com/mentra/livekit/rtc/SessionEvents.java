package com.mentra.livekit.rtc;

import dev.onvoid.webrtc.media.audio.AudioTrack;
import java.util.List;
import livekit.LivekitRtc.JoinResponse;

/**
 * What an {@link RtcSession} reports to its room (besides the room's signal messages): on the
 * room's executor unless said otherwise.
 */
interface SessionEvents extends SignalDispatcher.RoomSignals {
  /** The server answered our join; the session sets up its transports right after. */
  void onJoined(JoinResponse join);

  /**
   * The connection broke: a transport failed, the server fell silent, or the signal closed outside
   * an attempt.
   */
  void onLost(String why);

  /** A subscribed remote audio track arrived under the msid {@code streamIds}. */
  void onRemoteAudio(AudioTrack track, List<String> streamIds);

  /** A user packet arrived: called on a libwebrtc thread. */
  void onData(DataPacket packet);
}
