package com.mentra.bridge.load;

import com.mentra.bridge.api.BridgeStatusRequest;
import com.mentra.bridge.api.BridgeStatusResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * After the drain: what each phone sent against what its session's client received, and what the
 * bridge says it dropped (downlink queue full) or never got (gaps in the sequence byte). A packet
 * none of these explains is unaccounted: the soak fails on it. Stateless.
 */
final class PacketAccounting {
  private PacketAccounting() {}

  /**
   * @param sentAndErrors per phone index: packets sent ([0], a negative count taken as 0) and send
   *     errors ([1])
   * @return the summary's "drops" figures
   */
  static Map<String, Object> account(
      List<Session> sessions, BridgeClient bridge, long[][] sentAndErrors, List<String> problems) {
    long sent = 0;
    long got = 0;
    long dropped = 0;
    long lost = 0;
    long unaccounted = 0;
    long extra = 0;
    long outOfOrder = 0;
    long sessionsWithUnaccounted = 0;
    long streamErrors = 0;
    List<String> worst = new ArrayList<>();
    for (Session s : sessions) {
      long phoneSent = Math.max(0, sentAndErrors[0][s.index]);
      long d = 0;
      long l = 0;
      try {
        BridgeStatusResponse st =
            bridge
                .blocking
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .getStatus(BridgeStatusRequest.newBuilder().setUserId(s.userId).build());
        d = st.getDroppedChunks();
        l = st.getPhonePacketsLost();
      } catch (RuntimeException e) {
        problems.add(s.userId + " GetStatus: " + e.getMessage());
      }
      if (s.error != null) {
        streamErrors++;
        problems.add(s.userId + " StreamAudio ended: " + s.error);
      }
      long u = phoneSent - s.received - d - l;
      sent += phoneSent;
      got += s.received;
      dropped += d;
      lost += l;
      outOfOrder += s.outOfOrder;
      if (u > 0) {
        unaccounted += u;
        sessionsWithUnaccounted++;
        if (worst.size() < 10)
          worst.add(
              s.userId
                  + ": sent "
                  + phoneSent
                  + ", received "
                  + s.received
                  + ", dropped "
                  + d
                  + ", lost "
                  + l);
      } else if (u < 0) {
        extra -= u;
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("phone_packets_sent", sent);
    m.put("client_received", got);
    m.put("bridge_dropped_chunks", dropped);
    m.put("bridge_phone_packets_lost", lost);
    m.put("unaccounted", unaccounted);
    m.put("sessions_with_unaccounted", sessionsWithUnaccounted);
    m.put("received_beyond_sent", extra);
    m.put("out_of_order", outOfOrder);
    m.put("phone_send_errors", Arrays.stream(sentAndErrors[1]).sum());
    m.put("stream_errors", streamErrors);
    if (!worst.isEmpty()) m.put("examples", worst);
    return m;
  }
}
