package com.mentra.livekit.rtc;

import java.util.List;
import java.util.Objects;

/**
 * How to send a user data packet.
 *
 * @param kind reliable (ordered, retransmitted) or lossy
 * @param topic optional topic, null or "" for none
 * @param destinationIdentities identities to deliver to; empty means everyone in the room
 */
public record DataSendOptions(DataKind kind, String topic, List<String> destinationIdentities) {
  public DataSendOptions {
    Objects.requireNonNull(kind, "kind");
    topic = topic == null ? "" : topic;
    destinationIdentities =
        destinationIdentities == null ? List.of() : List.copyOf(destinationIdentities);
  }

  public static DataSendOptions reliable() {
    return new DataSendOptions(DataKind.RELIABLE, "", List.of());
  }

  public static DataSendOptions lossy() {
    return new DataSendOptions(DataKind.LOSSY, "", List.of());
  }

  public DataSendOptions withTopic(String newTopic) {
    return new DataSendOptions(kind, newTopic, destinationIdentities);
  }

  public DataSendOptions withDestinations(List<String> identities) {
    return new DataSendOptions(kind, topic, identities);
  }
}
