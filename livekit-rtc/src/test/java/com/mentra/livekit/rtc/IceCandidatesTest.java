package com.mentra.livekit.rtc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.onvoid.webrtc.RTCIceCandidate;
import org.junit.jupiter.api.Test;

class IceCandidatesTest {
  @Test
  void writesTheIndexAsAnIntegerAndRoundTrips() throws Exception {
    RTCIceCandidate candidate =
        new RTCIceCandidate("0", 1, "candidate:1 1 udp 2122260223 10.99.0.1 50000 typ host");
    String json = IceCandidates.toJson(candidate);
    assertThat(json).contains("\"sdpMLineIndex\":1}").doesNotContain("1.0");
    RTCIceCandidate back = IceCandidates.fromJson(json);
    assertThat(back.sdp).isEqualTo(candidate.sdp);
    assertThat(back.sdpMid).isEqualTo("0");
    assertThat(back.sdpMLineIndex).isEqualTo(1);
  }

  @Test
  void escapesQuotes() throws Exception {
    RTCIceCandidate odd = new RTCIceCandidate("a\"b", 0, "x\\y");
    RTCIceCandidate back = IceCandidates.fromJson(IceCandidates.toJson(odd));
    assertThat(back.sdpMid).isEqualTo("a\"b");
    assertThat(back.sdp).isEqualTo("x\\y");
  }
}
