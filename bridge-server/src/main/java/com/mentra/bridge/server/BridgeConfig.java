package com.mentra.bridge.server;

import java.util.Map;

/**
 * The bridge's settings, read from the environment. Immutable.
 *
 * @param livekitUrl used when a JoinRoom request names none; may be empty
 * @param apiKey with {@code apiSecret}, mints a token when a request carries none; may be empty
 * @param downlinkQueueChunks room-to-client chunks held per session before the oldest is dropped
 * @param uplinkBufferMs client-to-room jitter buffer bound per session
 * @param metricsPort where {@code /metrics} (Prometheus text) is served on the bind address; 0: off
 * @param grpcSocket a Unix domain socket path to listen on instead of TCP (the cloud's production
 *     transport); empty: TCP on {@code bindAddress:port}
 * @param authTokens bearer tokens a caller must present (any one of them); empty: none required
 * @param tlsCertFile with {@code tlsKeyFile}, serve TLS (PEM files); empty: plaintext
 * @param tlsClientCaFile with TLS, require client certificates this CA signed (mutual TLS)
 * @param allowInsecure the operator's explicit consent to serve TCP on a non-loopback address
 *     without any credential (BRIDGE_ALLOW_INSECURE)
 * @param roomNamePattern a JoinRoom's room_name must match it (a regular expression); empty: any
 * @param sessionIdleSeconds a session with no open StreamAudio call and no call for this long
 *     leaves its room; 0: never
 * @param rtcStatsSampleSeconds how often every session's round trip, jitter and loss are sampled
 *     into /metrics
 * @param identityPrefix prefixed to user_id for the identity of a token the bridge mints itself
 *     (the phone joins as user_id, so the bridge must not)
 */
public record BridgeConfig(
    int port,
    String bindAddress,
    String logLevel,
    String livekitUrl,
    String apiKey,
    String apiSecret,
    int maxSessions,
    int downlinkQueueChunks,
    int uplinkBufferMs,
    int uplinkPrebufferMs,
    int shutdownGraceSeconds,
    boolean allowPrivateAudioUrls,
    long maxAudioBytes,
    int maxAudioSeconds,
    int metricsPort,
    String grpcSocket,
    String identityPrefix,
    int rtcStatsSampleSeconds,
    java.util.List<String> authTokens,
    String tlsCertFile,
    String tlsKeyFile,
    String tlsClientCaFile,
    boolean allowInsecure,
    String roomNamePattern,
    int sessionIdleSeconds) {

  /** gRPC message size limit each way, as upstream. */
  public static final int MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

  /** Configuration that cannot be used; the message says which variable and why. */
  public static final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
      super(message);
    }
  }

  public static BridgeConfig fromEnvironment() {
    return from(System.getenv());
  }

  public static BridgeConfig from(Map<String, String> env) {
    String apiKey = string(env, "LIVEKIT_API_KEY", "");
    String apiSecret = string(env, "LIVEKIT_API_SECRET", "");
    if (apiKey.isEmpty() != apiSecret.isEmpty()) {
      throw new ConfigException(
          "LIVEKIT_API_KEY and LIVEKIT_API_SECRET must be set together (only one is set)");
    }
    String url = string(env, "LIVEKIT_URL", "");
    if (!url.isEmpty() && !url.matches("(?i)(wss?|https?)://[^\\s/]+.*")) {
      throw new ConfigException(
          "LIVEKIT_URL must be a ws://, wss://, http:// or https:// URL, got '" + url + "'");
    }
    String level = string(env, "LOG_LEVEL", "INFO").toUpperCase(java.util.Locale.ROOT);
    if (!level.matches("TRACE|DEBUG|INFO|WARN|ERROR|OFF")) {
      throw new ConfigException(
          "LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, OFF, got '" + level + "'");
    }
    int prebuffer = integer(env, "UPLINK_PREBUFFER_MS", 60, 0, 1_000);
    return new BridgeConfig(
            integer(env, "PORT", 9090, 1, 65_535),
            string(env, "BIND_ADDRESS", "0.0.0.0"),
            level,
            url,
            apiKey,
            apiSecret,
            integer(env, "MAX_SESSIONS", 500, 1, 100_000),
            integer(env, "DOWNLINK_QUEUE_CHUNKS", 200, 1, 10_000),
            integer(env, "UPLINK_BUFFER_MS", 2_000, prebuffer + 20, 60_000),
            prebuffer,
            integer(env, "SHUTDOWN_GRACE_SECONDS", 10, 1, 300),
            bool(env, "AUDIO_URL_ALLOW_PRIVATE", false),
            integer(env, "MAX_AUDIO_BYTES", 50 * 1024 * 1024, 1_024, Integer.MAX_VALUE),
            integer(env, "MAX_AUDIO_SECONDS", 900, 1, 86_400),
            integer(env, "METRICS_PORT", 9091, 0, 65_535),
            socketPath(env),
            identityPrefix(env),
            integer(env, "RTC_STATS_SAMPLE_SECONDS", 30, 1, 3_600),
            tokens(env),
            string(env, "TLS_CERT_FILE", ""),
            string(env, "TLS_KEY_FILE", ""),
            string(env, "TLS_CLIENT_CA_FILE", ""),
            bool(env, "BRIDGE_ALLOW_INSECURE", false),
            pattern(env),
            integer(env, "SESSION_IDLE_SECONDS", 60, 0, 86_400))
        .checked();
  }

  /** Refuses combinations that cannot work or would expose the bridge without saying so. */
  private BridgeConfig checked() {
    if (tlsCertFile.isEmpty() != tlsKeyFile.isEmpty()) {
      throw new ConfigException(
          "TLS_CERT_FILE and TLS_KEY_FILE must be set together (only one is set)");
    }
    if (!tlsClientCaFile.isEmpty() && tlsCertFile.isEmpty()) {
      throw new ConfigException(
          "TLS_CLIENT_CA_FILE (mutual TLS) needs TLS_CERT_FILE and TLS_KEY_FILE");
    }
    for (String file : new String[] {tlsCertFile, tlsKeyFile, tlsClientCaFile}) {
      if (!file.isEmpty() && !java.nio.file.Files.isReadable(java.nio.file.Path.of(file))) {
        throw new ConfigException(
            "cannot read " + file + " (TLS_CERT_FILE / TLS_KEY_FILE / TLS_CLIENT_CA_FILE)");
      }
    }
    boolean credentialed = !authTokens.isEmpty() || !tlsClientCaFile.isEmpty();
    if (grpcSocket.isEmpty() && !credentialed && !allowInsecure && !isLoopback(bindAddress)) {
      throw new ConfigException(
          "refusing to serve "
              + bindAddress
              + ":"
              + port
              + " without credentials: anyone who reaches it could "
              + "make the bridge join any room with its LiveKit key. Set BRIDGE_AUTH_TOKENS (and/or TLS_CLIENT_CA_FILE), bind a loopback "
              + "address, listen on LIVEKIT_GRPC_SOCKET, or set BRIDGE_ALLOW_INSECURE=true to accept the risk");
    }
    return this;
  }

  private static boolean isLoopback(String address) {
    try {
      return java.net.InetAddress.getByName(address).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      throw new ConfigException("BIND_ADDRESS '" + address + "' does not resolve");
    }
  }

  private static java.util.List<String> tokens(Map<String, String> env) {
    java.util.List<String> tokens = new java.util.ArrayList<>();
    for (String t : string(env, "BRIDGE_AUTH_TOKENS", "").split(",")) {
      String token = t.trim();
      if (token.isEmpty()) continue;
      if (token.length() < 16)
        throw new ConfigException(
            "BRIDGE_AUTH_TOKENS: each token must have at least 16 characters");
      tokens.add(token);
    }
    return java.util.List.copyOf(tokens);
  }

  private static String pattern(Map<String, String> env) {
    String p = string(env, "ROOM_NAME_PATTERN", "");
    try {
      if (!p.isEmpty()) java.util.regex.Pattern.compile(p);
    } catch (java.util.regex.PatternSyntaxException e) {
      throw new ConfigException(
          "ROOM_NAME_PATTERN is not a regular expression: " + e.getDescription());
    }
    return p;
  }

  private static String socketPath(Map<String, String> env) {
    String path = string(env, "LIVEKIT_GRPC_SOCKET", "");
    if (path.startsWith("unix://")) path = path.substring("unix://".length());
    else if (path.startsWith("unix:")) path = path.substring("unix:".length());
    if (!path.isEmpty() && !path.startsWith("/")) {
      throw new ConfigException("LIVEKIT_GRPC_SOCKET must be an absolute path, got '" + path + "'");
    }
    return path;
  }

  private static String identityPrefix(Map<String, String> env) {
    String v = env.get("LIVEKIT_IDENTITY_PREFIX");
    // An explicitly empty prefix is allowed (the bridge then joins as user_id itself).
    return v == null ? "cloud-agent:" : v.trim();
  }

  public boolean canMintTokens() {
    return !apiKey.isEmpty();
  }

  private static String string(Map<String, String> env, String name, String fallback) {
    String v = env.get(name);
    return v == null || v.isBlank() ? fallback : v.trim();
  }

  private static int integer(Map<String, String> env, String name, int fallback, int min, int max) {
    String v = env.get(name);
    if (v == null || v.isBlank()) return fallback;
    try {
      int n = Integer.parseInt(v.trim());
      if (n < min || n > max)
        throw new ConfigException(name + " must be between " + min + " and " + max + ", got " + n);
      return n;
    } catch (NumberFormatException e) {
      throw new ConfigException(name + " must be an integer, got '" + v + "'");
    }
  }

  private static boolean bool(Map<String, String> env, String name, boolean fallback) {
    String v = env.get(name);
    if (v == null || v.isBlank()) return fallback;
    return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "1", "true", "yes", "on" -> true;
      case "0", "false", "no", "off" -> false;
      default -> throw new ConfigException(name + " must be true or false, got '" + v + "'");
    };
  }
}
