package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class BridgeConfigTest {
  @Test
  void defaults() {
    BridgeConfig c = BridgeConfig.from(Map.of("BIND_ADDRESS", "127.0.0.1"));
    assertThat(c.port()).isEqualTo(9090);
    assertThat(c.downlinkQueueChunks()).isEqualTo(200);
    assertThat(c.metricsPort()).isEqualTo(9091);
    assertThat(
            BridgeConfig.from(Map.of("METRICS_PORT", "0", "BIND_ADDRESS", "127.0.0.1"))
                .metricsPort())
        .as("0 turns metrics off")
        .isZero();
    assertThat(c.canMintTokens()).isFalse();
    assertThat(c.allowPrivateAudioUrls()).isFalse();
    assertThat(c.identityPrefix()).isEqualTo("cloud-agent:");
    assertThat(c.sessionIdleSeconds()).isEqualTo(60);
    assertThat(c.authTokens()).isEmpty();
    assertThat(c.grpcSocket()).isEmpty();
    assertThat(BridgeConfig.from(Map.of("LIVEKIT_GRPC_SOCKET", "unix:/tmp/x.sock")).grpcSocket())
        .isEqualTo("/tmp/x.sock");
  }

  @Test
  void invalidSettingsFailWithTheVariableNamed() {
    assertThatThrownBy(() -> BridgeConfig.from(Map.of("PORT", "http")))
        .hasMessageContaining("PORT must be an integer");
    assertThatThrownBy(() -> BridgeConfig.from(Map.of("PORT", "70000")))
        .hasMessageContaining("PORT must be between 1 and 65535");
    assertThatThrownBy(() -> BridgeConfig.from(Map.of("LIVEKIT_API_KEY", "k")))
        .hasMessageContaining("must be set together");
    assertThatThrownBy(() -> BridgeConfig.from(Map.of("LIVEKIT_URL", "localhost:7880")))
        .hasMessageContaining("LIVEKIT_URL must be");
    assertThatThrownBy(() -> BridgeConfig.from(Map.of("LOG_LEVEL", "loud")))
        .hasMessageContaining("LOG_LEVEL must be one of");
    assertThatThrownBy(() -> BridgeConfig.from(Map.of("AUDIO_URL_ALLOW_PRIVATE", "maybe")))
        .hasMessageContaining("true or false");
    assertThatThrownBy(() -> BridgeConfig.from(Map.of("DOWNLINK_QUEUE_CHUNKS", "0")))
        .hasMessageContaining("DOWNLINK_QUEUE_CHUNKS");
    assertThatThrownBy(() -> BridgeConfig.from(Map.of("METRICS_PORT", "-1")))
        .hasMessageContaining("METRICS_PORT must be between 0 and 65535");
    assertThatThrownBy(() -> BridgeConfig.from(Map.of("LIVEKIT_GRPC_SOCKET", "relative.sock")))
        .hasMessageContaining("LIVEKIT_GRPC_SOCKET must be an absolute path");
    assertThatThrownBy(() -> BridgeConfig.from(Map.of("BRIDGE_AUTH_TOKENS", "short")))
        .hasMessageContaining("at least 16 characters");
    assertThatThrownBy(() -> BridgeConfig.from(Map.of("TLS_CERT_FILE", "/nonexistent.pem")))
        .hasMessageContaining("TLS_CERT_FILE and TLS_KEY_FILE");
    assertThatThrownBy(() -> BridgeConfig.from(Map.of("ROOM_NAME_PATTERN", "user-(")))
        .hasMessageContaining("ROOM_NAME_PATTERN");
  }

  @Test
  void aNonLoopbackTcpListenerNeedsACredentialOrTheOperatorsExplicitConsent() {
    assertThatThrownBy(() -> BridgeConfig.from(Map.of()))
        .hasMessageContaining("refusing to serve 0.0.0.0:9090 without credentials")
        .hasMessageContaining("BRIDGE_ALLOW_INSECURE");
    assertThat(
            BridgeConfig.from(
                    Map.of("BRIDGE_AUTH_TOKENS", "a-long-enough-token,another-long-token"))
                .authTokens())
        .hasSize(2);
    assertThat(BridgeConfig.from(Map.of("BRIDGE_ALLOW_INSECURE", "true")).allowInsecure()).isTrue();
    assertThat(BridgeConfig.from(Map.of("LIVEKIT_GRPC_SOCKET", "/tmp/b.sock")).grpcSocket())
        .as("the socket's permissions are the boundary")
        .isNotEmpty();
    assertThat(BridgeConfig.from(Map.of("BIND_ADDRESS", "::1")).bindAddress()).isEqualTo("::1");
  }
}
