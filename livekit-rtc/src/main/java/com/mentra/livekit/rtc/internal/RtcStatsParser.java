package com.mentra.livekit.rtc.internal;

import com.mentra.livekit.rtc.RtcStats;
import dev.onvoid.webrtc.RTCStats;
import dev.onvoid.webrtc.RTCStatsReport;
import dev.onvoid.webrtc.RTCStatsType;
import java.util.Map;

/** Reads the figures {@link RtcStats} holds out of libwebrtc stats reports. Pure; thread-safe. */
public final class RtcStatsParser {
  private RtcStatsParser() {}

  /** Combines the publisher's and the subscriber's reports (either may be null). */
  public static RtcStats parse(RTCStatsReport publisher, RTCStatsReport subscriber) {
    double rtt = roundTripMs(publisher);
    if (rtt < 0) rtt = roundTripMs(subscriber);
    double jitter = -1;
    long lost = 0;
    long received = 0;
    double fractionLost = -1;
    for (RTCStatsReport report : new RTCStatsReport[] {publisher, subscriber}) {
      if (report == null) continue;
      for (RTCStats s : report.getStats().values()) {
        Map<String, Object> a = s.getAttributes();
        if (s.getType() == RTCStatsType.INBOUND_RTP && "audio".equals(a.get("kind"))) {
          jitter = Math.max(jitter, number(a.get("jitter"), -1) * 1000);
          lost += (long) Math.max(0, number(a.get("packetsLost"), 0));
          received += (long) number(a.get("packetsReceived"), 0);
        } else if (s.getType() == RTCStatsType.REMOTE_INBOUND_RTP
            && "audio".equals(a.get("kind"))) {
          fractionLost = Math.max(fractionLost, number(a.get("fractionLost"), -1));
        }
      }
    }
    return new RtcStats(rtt, jitter, lost, received, fractionLost);
  }

  /**
   * The selected pair's current round trip; right after connecting, before the first consent check
   * answered, the average over the checks so far; -1 when neither is known yet.
   */
  private static double roundTripMs(RTCStatsReport report) {
    if (report == null) return -1;
    double best = -1;
    for (RTCStats s : report.getStats().values()) {
      Map<String, Object> a = s.getAttributes();
      if (s.getType() != RTCStatsType.CANDIDATE_PAIR
          || !"succeeded".equals(String.valueOf(a.get("state")))) continue;
      double rtt = number(a.get("currentRoundTripTime"), -1);
      if (rtt < 0) {
        double responses = number(a.get("responsesReceived"), 0);
        if (responses > 0) rtt = number(a.get("totalRoundTripTime"), -1) / responses;
      }
      if (rtt < 0) continue;
      if (Boolean.TRUE.equals(a.get("nominated"))) return rtt * 1000;
      best = rtt * 1000;
    }
    return best;
  }

  private static double number(Object v, double fallback) {
    return v instanceof Number n ? n.doubleValue() : fallback;
  }
}
