package com.mentra.bridge.audio.fetch;

import java.time.Duration;

/**
 * Limits for fetching audio URLs. By default only public addresses may be fetched; tests and
 * private deployments set {@code allowPrivateAddresses}.
 *
 * @param readTimeout the longest a single read of the body may wait for bytes
 */
public record FetchPolicy(
    Duration connectTimeout,
    Duration readTimeout,
    int maxRedirects,
    long maxBytes,
    boolean allowPrivateAddresses) {
  public static FetchPolicy defaults() {
    return new FetchPolicy(
        Duration.ofSeconds(5), Duration.ofSeconds(10), 5, 50L * 1024 * 1024, false);
  }

  public FetchPolicy withAllowPrivateAddresses(boolean allow) {
    return new FetchPolicy(connectTimeout, readTimeout, maxRedirects, maxBytes, allow);
  }

  public FetchPolicy withMaxBytes(long bytes) {
    return new FetchPolicy(connectTimeout, readTimeout, maxRedirects, bytes, allowPrivateAddresses);
  }

  public FetchPolicy withReadTimeout(Duration timeout) {
    return new FetchPolicy(connectTimeout, timeout, maxRedirects, maxBytes, allowPrivateAddresses);
  }
}
