package com.mentra.testing;

import io.livekit.server.AccessToken;
import io.livekit.server.CanPublish;
import io.livekit.server.CanPublishData;
import io.livekit.server.CanSubscribe;
import io.livekit.server.RoomJoin;
import io.livekit.server.RoomName;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Date;
import java.util.HexFormat;
import java.util.function.Consumer;

/**
 * A test livekit-server's settings: its ports, derived from a base port {@code B} (HTTP/WebSocket
 * {@code B}, ICE/TCP {@code B+1}, ICE/UDP {@code B+10 .. B+109}, or {@code B+10} alone with {@code
 * udpMux}), its generated API key and secret, the {@code config.yaml} that gives them to the
 * server, and the access tokens signed with those keys.
 *
 * <p>Immutable, thread-safe.
 */
record LiveKitServerSettings(
    int httpPort,
    int tcpPort,
    int udpStart,
    int udpEnd,
    boolean udpMux,
    String apiKey,
    String apiSecret) {

  /** The ports of {@code basePort} and a new random key and secret. */
  static LiveKitServerSettings generate(int basePort, boolean udpMux) {
    SecureRandom random = new SecureRandom();
    byte[] key = new byte[16];
    byte[] secret = new byte[32];
    random.nextBytes(key);
    random.nextBytes(secret);
    return new LiveKitServerSettings(
        basePort,
        basePort + 1,
        basePort + 10,
        basePort + LiveKitServerProcess.PORTS_PER_SERVER - 1,
        udpMux,
        "API" + HexFormat.of().formatHex(key),
        HexFormat.of().formatHex(secret));
  }

  /** The server's config file, binding to {@code nodeIp}. */
  String yaml(String nodeIp) {
    String yaml =
        """
      port: %d
      bind_addresses: ["%s"]
      rtc:
        tcp_port: %d
        %s
        use_external_ip: false
        node_ip: %s
      turn:
        enabled: false
      keys:
        %s: %s
      logging:
        level: info
      """
            .formatted(
                httpPort,
                nodeIp,
                tcpPort,
                udpMux
                    ? "udp_port: " + udpStart
                    : "port_range_start: " + udpStart + "\n  port_range_end: " + udpEnd,
                nodeIp,
                apiKey,
                apiSecret);
    return yaml;
  }

  /**
   * A token signed with these keys, as {@link LiveKitServerProcess#token(String, String, Duration,
   * Consumer)} describes.
   */
  String token(String room, String identity, Duration ttl, Consumer<AccessToken> customize) {
    AccessToken token = new AccessToken(apiKey, apiSecret);
    token.setIdentity(identity);
    token.setName(identity);
    if (ttl.isNegative() || ttl.isZero()) {
      long now = System.currentTimeMillis();
      token.setNotBefore(new Date(now - 3_600_000L));
      token.setExpiration(new Date(now - Math.max(1_000L, -ttl.toMillis())));
    } else {
      token.setTtl(ttl.toMillis());
    }
    token.addGrants(
        new RoomJoin(true),
        new RoomName(room),
        new CanPublish(true),
        new CanSubscribe(true),
        new CanPublishData(true));
    customize.accept(token);
    return token.toJwt();
  }
}
