package com.mentra.bridge.server;

/** What a client-to-room AudioChunk may be; the one place that says so. */
final class UplinkChunks {
  /** 2 s of 48 kHz stereo PCM16. */
  static final int MAX_CHUNK_BYTES = 48_000 * 2 * 2 * 2;

  private UplinkChunks() {}

  /** Why a chunk cannot be played, or null when it can. Rate and channels are already defaulted. */
  static String problem(int bytes, int sampleRate, int channels, int trackId) {
    if (sampleRate < 8_000 || sampleRate > 48_000)
      return "sample_rate " + sampleRate + " Hz is outside 8000-48000";
    if (channels < 1 || channels > 2) return "channels must be 1 or 2, got " + channels;
    if (bytes > MAX_CHUNK_BYTES)
      return bytes + " bytes is more than the " + MAX_CHUNK_BYTES + "-byte chunk limit";
    if (bytes % (2 * channels) != 0)
      return bytes + " bytes is not a whole number of " + channels + "-channel PCM16 frames";
    if (!TrackNames.isValid(trackId))
      return "track_id must be between 0 and " + TrackNames.MAX_TRACK_ID + ", got " + trackId;
    return null;
  }
}
