package com.mentra.livekit.rtc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import dev.onvoid.webrtc.RTCIceCandidate;

/** LiveKit trickles candidates as the JSON of the browser's RTCIceCandidateInit. */
final class IceCandidates {
  private IceCandidates() {}

  static String toJson(RTCIceCandidate candidate) {
    // Hand-built: LiveKit's Go decoder wants sdpMLineIndex as an integer, and protobuf's JSON
    // printer writes every number as a double ("0.0").
    return "{\"candidate\":"
        + quote(candidate.sdp)
        + ",\"sdpMid\":"
        + quote(candidate.sdpMid == null ? "" : candidate.sdpMid)
        + ",\"sdpMLineIndex\":"
        + candidate.sdpMLineIndex
        + "}";
  }

  private static String quote(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
        }
      }
    }
    return out.append('"').toString();
  }

  static RTCIceCandidate fromJson(String json) throws InvalidProtocolBufferException {
    Struct.Builder struct = Struct.newBuilder();
    JsonFormat.parser().ignoringUnknownFields().merge(json, struct);
    Value candidate = struct.getFieldsOrDefault("candidate", Value.getDefaultInstance());
    Value mid = struct.getFieldsOrDefault("sdpMid", Value.getDefaultInstance());
    Value index = struct.getFieldsOrDefault("sdpMLineIndex", Value.getDefaultInstance());
    return new RTCIceCandidate(
        mid.getStringValue(), (int) index.getNumberValue(), candidate.getStringValue());
  }
}
