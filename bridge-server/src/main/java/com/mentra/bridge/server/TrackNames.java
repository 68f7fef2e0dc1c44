package com.mentra.bridge.server;

/**
 * Track ids and the LiveKit track names they publish as, the replaced bridge's convention: 0
 * speaker, 1 app_audio, 2 tts, N track_N. Ids are bounded so a caller cannot make a session publish
 * an unbounded number of tracks.
 */
final class TrackNames {
  static final int MAX_TRACK_ID = 31;
  private static final String[] WELL_KNOWN = {"speaker", "app_audio", "tts"};

  private TrackNames() {}

  static boolean isValid(int trackId) {
    return trackId >= 0 && trackId <= MAX_TRACK_ID;
  }

  /** The playback track's name. */
  static String playback(int trackId) {
    return trackId < WELL_KNOWN.length ? WELL_KNOWN[trackId] : "track_" + trackId;
  }

  /**
   * The name of the track client-to-room audio (StreamAudio) for {@code trackId} is published on.
   */
  static String uplink(int trackId) {
    // Distinct from the playback track of the same id, so listeners can tell the two apart;
    // track 0 keeps the name it always had.
    return trackId == 0 ? "bridge-uplink" : "bridge-uplink-" + playback(trackId);
  }
}
