package com.mentra.livekit.rtc;

/**
 * A snapshot of a room's media transport figures from libwebrtc's stats.
 *
 * @param roundTripMs the selected ICE candidate pair's current round trip (publisher, else
 *     subscriber); -1 when unknown
 * @param inboundJitterMs received audio's interarrival jitter, worst track; -1 without received
 *     audio
 * @param inboundPacketsLost received audio packets lost, all tracks
 * @param inboundPackets received audio packets, all tracks
 * @param outboundFractionLost the share of our audio packets the server reports lost (0-1, worst
 *     track, from RTCP receiver reports); -1 when nothing is sent
 */
public record RtcStats(
    double roundTripMs,
    double inboundJitterMs,
    long inboundPacketsLost,
    long inboundPackets,
    double outboundFractionLost) {
  public static final RtcStats UNKNOWN = new RtcStats(-1, -1, 0, 0, -1);

  /** Lost / (lost + received) of inbound audio, 0 without any. */
  public double inboundLossRatio() {
    long total = inboundPacketsLost + inboundPackets;
    return total <= 0 ? 0 : (double) inboundPacketsLost / total;
  }
}
