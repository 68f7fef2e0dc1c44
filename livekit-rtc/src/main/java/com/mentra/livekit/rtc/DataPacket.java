package com.mentra.livekit.rtc;

import java.util.Objects;

/**
 * A user data packet received from the room.
 *
 * @param senderIdentity identity of the participant that sent it ("" when the server sent it)
 * @param topic the sender's topic, "" when none
 * @param kind which data channel carried it
 * @param payload the bytes, owned by the receiver
 * @param receivedAtNanos {@link System#nanoTime()} when libwebrtc handed it over, for latency
 *     figures
 */
public record DataPacket(
    String senderIdentity, String topic, DataKind kind, byte[] payload, long receivedAtNanos) {
  public DataPacket(String senderIdentity, String topic, DataKind kind, byte[] payload) {
    this(senderIdentity, topic, kind, payload, System.nanoTime());
  }

  public DataPacket {
    Objects.requireNonNull(senderIdentity, "senderIdentity");
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(payload, "payload");
  }
}
