package com.mentra.livekit.rtc;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * How a {@link Room} connects. Immutable; build with {@link #builder()}.
 *
 * <p>{@code audioSubscriptions}: when null, every remote audio track is subscribed (if {@code
 * autoSubscribe}); when set, only the audio of these identities is subscribed and nothing else.
 */
public final class RoomOptions {
  private final boolean autoSubscribe;
  private final Set<String> audioSubscriptions;
  private final Duration connectTimeout;
  private final Duration reconnectTimeout;
  private final int maxReconnectAttempts;
  private final int audioQueueFrames;

  private RoomOptions(Builder b) {
    this.autoSubscribe = b.autoSubscribe;
    this.audioSubscriptions =
        b.audioSubscriptions == null ? null : Set.copyOf(b.audioSubscriptions);
    this.connectTimeout = b.connectTimeout;
    this.reconnectTimeout = b.reconnectTimeout;
    this.maxReconnectAttempts = b.maxReconnectAttempts;
    this.audioQueueFrames = b.audioQueueFrames;
  }

  public static Builder builder() {
    return new Builder();
  }

  public static RoomOptions defaults() {
    return builder().build();
  }

  public boolean autoSubscribe() {
    return autoSubscribe;
  }

  /** Identities whose audio to subscribe to, or null for all. */
  public Set<String> audioSubscriptions() {
    return audioSubscriptions;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  /** How long the room keeps trying to reconnect before it reports DISCONNECTED. */
  public Duration reconnectTimeout() {
    return reconnectTimeout;
  }

  public int maxReconnectAttempts() {
    return maxReconnectAttempts;
  }

  /** Bound of each audio subscription's delivery queue (10 ms frames); oldest dropped when full. */
  public int audioQueueFrames() {
    return audioQueueFrames;
  }

  public static final class Builder {
    private boolean autoSubscribe = true;
    private Set<String> audioSubscriptions;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration reconnectTimeout = Duration.ofSeconds(30);
    private int maxReconnectAttempts = 10;
    private int audioQueueFrames = 50;

    public Builder autoSubscribe(boolean value) {
      this.autoSubscribe = value;
      return this;
    }

    public Builder audioSubscriptions(Set<String> identities) {
      this.audioSubscriptions = identities;
      return this;
    }

    public Builder connectTimeout(Duration value) {
      this.connectTimeout = requirePositive(value, "connectTimeout");
      return this;
    }

    public Builder reconnectTimeout(Duration value) {
      this.reconnectTimeout = requirePositive(value, "reconnectTimeout");
      return this;
    }

    public Builder maxReconnectAttempts(int value) {
      if (value < 0) throw new IllegalArgumentException("maxReconnectAttempts must be >= 0");
      this.maxReconnectAttempts = value;
      return this;
    }

    public Builder audioQueueFrames(int value) {
      if (value < 1) throw new IllegalArgumentException("audioQueueFrames must be >= 1");
      this.audioQueueFrames = value;
      return this;
    }

    public RoomOptions build() {
      return new RoomOptions(this);
    }

    private static Duration requirePositive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero())
        throw new IllegalArgumentException(name + " must be positive");
      return d;
    }
  }
}
