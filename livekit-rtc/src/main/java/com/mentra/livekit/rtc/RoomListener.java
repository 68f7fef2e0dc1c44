package com.mentra.livekit.rtc;

/**
 * Room events. All methods of one room's listener are called one at a time, in order, on that
 * room's callback executor (never on a libwebrtc or WebSocket thread). A listener may call back
 * into the room, including {@link Room#close()}. Exceptions are logged and swallowed.
 */
public interface RoomListener {
  default void onConnectionStateChanged(ConnectionState state, String reason) {}

  default void onParticipantConnected(RemoteParticipant participant) {}

  default void onParticipantDisconnected(RemoteParticipant participant) {}

  default void onTrackPublished(RemoteParticipant participant, RemoteTrackPublication track) {}

  default void onTrackUnpublished(RemoteParticipant participant, RemoteTrackPublication track) {}

  /**
   * Media of the track flows to this participant (audio can now be received with {@link
   * Room#receiveAudio}).
   */
  default void onTrackSubscribed(RemoteParticipant participant, RemoteTrackPublication track) {}

  default void onDataReceived(DataPacket packet) {}
}
