package com.mentra.livekit.rtc;

import dev.onvoid.webrtc.RTCBundlePolicy;
import dev.onvoid.webrtc.RTCConfiguration;
import dev.onvoid.webrtc.RTCIceServer;
import java.util.ArrayList;
import livekit.LivekitRtc.ICEServer;
import livekit.LivekitRtc.JoinResponse;

/**
 * A join response's ICE servers as libwebrtc's peer connection configuration. Pure; thread-safe.
 */
final class PeerConnectionConfig {
  private PeerConnectionConfig() {}

  /** Both transports of a join share it; LiveKit bundles all media on one connection each. */
  static RTCConfiguration of(JoinResponse join) {
    RTCConfiguration config = new RTCConfiguration();
    if (config.iceServers == null) config.iceServers = new ArrayList<>();
    config.bundlePolicy = RTCBundlePolicy.MAX_BUNDLE;
    for (ICEServer server : join.getIceServersList()) {
      RTCIceServer ice = new RTCIceServer();
      ice.urls = new ArrayList<>(server.getUrlsList());
      ice.username = server.getUsername();
      ice.password = server.getCredential();
      config.iceServers.add(ice);
    }
    return config;
  }
}
