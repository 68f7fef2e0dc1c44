package com.mentra.livekit.rtc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import livekit.LivekitModels;
import livekit.LivekitModels.UserPacket;

/**
 * Our {@link DataPacket} and {@link DataSendOptions} in LiveKit's wire form: a {@code DataPacket}
 * carrying a {@code UserPacket}. Other kinds of data packet (chat, RPC, streams) are not ours to
 * read.
 *
 * <p>Stateless and thread-safe: decoding runs on libwebrtc's threads.
 */
final class UserPackets {
  private UserPackets() {}

  /**
   * The packet to send, still without our identity (known only once joined; see {@link #encode}).
   */
  static LivekitModels.DataPacket.Builder build(byte[] payload, DataSendOptions options) {
    UserPacket.Builder user = UserPacket.newBuilder().setPayload(ByteString.copyFrom(payload));
    if (!options.topic().isEmpty()) user.setTopic(options.topic());
    user.addAllDestinationIdentities(options.destinationIdentities());
    return LivekitModels.DataPacket.newBuilder()
        .setKind(
            options.kind() == DataKind.RELIABLE
                ? LivekitModels.DataPacket.Kind.RELIABLE
                : LivekitModels.DataPacket.Kind.LOSSY)
        .addAllDestinationIdentities(options.destinationIdentities())
        .setUser(user);
  }

  /** The bytes of {@code packet} as sent by {@code senderIdentity}. */
  static byte[] encode(LivekitModels.DataPacket.Builder packet, String senderIdentity) {
    return packet.setParticipantIdentity(senderIdentity).build().toByteArray();
  }

  /**
   * The user packet in {@code data} received on the channel {@code label}; null when the data
   * packet carries something else.
   *
   * @throws InvalidProtocolBufferException when the bytes are not a data packet
   */
  static DataPacket decode(String label, ByteBuffer data, long receivedAtNanos)
      throws InvalidProtocolBufferException {
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    LivekitModels.DataPacket packet = LivekitModels.DataPacket.parseFrom(bytes);
    if (!packet.hasUser()) return null;
    UserPacket user = packet.getUser();
    String sender =
        !packet.getParticipantIdentity().isEmpty()
            ? packet.getParticipantIdentity()
            : user.getParticipantIdentity();
    DataKind kind =
        DataChannelSender.LOSSY_LABEL.equals(label) ? DataKind.LOSSY : DataKind.RELIABLE;
    return new DataPacket(
        sender, user.getTopic(), kind, user.getPayload().toByteArray(), receivedAtNanos);
  }
}
