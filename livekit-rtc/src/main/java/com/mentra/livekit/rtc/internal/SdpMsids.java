package com.mentra.livekit.rtc.internal;

import java.util.HashMap;
import java.util.Map;

/** Reads, from an SDP, the msid stream id of each audio m-line the remote side sends on. */
final class SdpMsids {
  private SdpMsids() {}

  /** mid → msid stream id, for audio m-lines that are sendonly or sendrecv from the offerer. */
  static Map<String, String> audioStreamsByMid(String sdp) {
    Map<String, String> result = new HashMap<>();
    boolean audio = false;
    boolean sending = true;
    String mid = null;
    String stream = null;
    for (String raw : sdp.split("\r?\n")) {
      String line = raw.trim();
      if (line.startsWith("m=")) {
        if (audio && sending && mid != null && stream != null) result.put(mid, stream);
        audio = line.startsWith("m=audio");
        sending = true;
        mid = null;
        stream = null;
      } else if (line.startsWith("a=mid:")) {
        mid = line.substring(6);
      } else if (line.startsWith("a=msid:")) {
        String[] parts = line.substring(7).split(" ");
        if (parts.length > 0 && !parts[0].equals("-")) stream = parts[0];
      } else if (line.equals("a=inactive") || line.equals("a=recvonly")) {
        sending = false;
      }
    }
    if (audio && sending && mid != null && stream != null) result.put(mid, stream);
    return result;
  }
}
