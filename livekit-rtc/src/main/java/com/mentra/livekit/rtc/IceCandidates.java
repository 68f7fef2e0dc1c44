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
    Struct struct = Struct.newBuilder()
        .putFields("candidate", Value.newBuilder().setStringValue(candidate.sdp).build())
        .putFields("sdpMid", Value.newBuilder().setStringValue(candidate.sdpMid == null ? "" : candidate.sdpMid).build())
        .putFields("sdpMLineIndex", Value.newBuilder().setNumberValue(candidate.sdpMLineIndex).build())
        .build();
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(struct);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  static RTCIceCandidate fromJson(String json) throws InvalidProtocolBufferException {
    Struct.Builder struct = Struct.newBuilder();
    JsonFormat.parser().ignoringUnknownFields().merge(json, struct);
    Value candidate = struct.getFieldsOrDefault("candidate", Value.getDefaultInstance());
    Value mid = struct.getFieldsOrDefault("sdpMid", Value.getDefaultInstance());
    Value index = struct.getFieldsOrDefault("sdpMLineIndex", Value.getDefaultInstance());
    return new RTCIceCandidate(mid.getStringValue(), (int) index.getNumberValue(), candidate.getStringValue());
  }
}
