package com.mentra.livekit.rtc;

/** Where a {@link Room} stands with its LiveKit server. */
public enum ConnectionState {
  /** First connection in progress. */
  CONNECTING,
  /** Signalling and media transports are up. */
  CONNECTED,
  /** The connection was lost; the room is resuming or rejoining on its own. */
  RECONNECTING,
  /** Terminal: left, closed, removed by the server, or reconnection gave up. */
  DISCONNECTED
}
