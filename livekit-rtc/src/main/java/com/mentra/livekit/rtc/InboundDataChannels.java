package com.mentra.livekit.rtc;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.onvoid.webrtc.RTCDataChannel;
import dev.onvoid.webrtc.RTCDataChannelBuffer;
import dev.onvoid.webrtc.RTCDataChannelObserver;
import dev.onvoid.webrtc.RTCDataChannelState;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data channels the server opens on one join's subscriber: the other participants' user packets
 * arrive on them.
 *
 * <p>Confined to the room's executor, except the channel observers: they run on libwebrtc's
 * threads, where a message is copied and parsed and then handed on (to the room's callback queue),
 * and a state change is handed to the room.
 */
final class InboundDataChannels {
  private static final Logger log = LoggerFactory.getLogger(InboundDataChannels.class);

  private final RoomExecutor room;
  private final Consumer<DataPacket> received;
  private final Runnable stateChanged;
  private final List<RTCDataChannel> channels = new ArrayList<>();

  /**
   * @param received takes each user packet, on a libwebrtc thread
   * @param stateChanged runs on the room when a channel opens or closes (a join may wait for one)
   */
  InboundDataChannels(RoomExecutor room, Consumer<DataPacket> received, Runnable stateChanged) {
    this.room = room;
    this.received = received;
    this.stateChanged = stateChanged;
  }

  void add(RTCDataChannel channel) {
    room.checkCurrent();
    String label = channel.getLabel();
    channels.add(channel);
    channel.registerObserver(
        new RTCDataChannelObserver() {
          @Override
          public void onBufferedAmountChange(long previousAmount) {}

          @Override
          public void onStateChange() {
            room.submit(stateChanged);
          }

          @Override
          public void onMessage(RTCDataChannelBuffer buffer) {
            onInboundMessage(label, buffer);
          }
        });
  }

  /** Whether the server's reliable channel is open: the phone's data reaches us on it. */
  boolean reliableOpen() {
    room.checkCurrent();
    for (RTCDataChannel channel : channels) {
      if (DataChannelSender.RELIABLE_LABEL.equals(channel.getLabel())
          && channel.getState() == RTCDataChannelState.OPEN) return true;
    }
    return false;
  }

  void closeAll() {
    room.checkCurrent();
    for (RTCDataChannel channel : channels) DataChannelSender.dispose(channel);
    channels.clear();
  }

  private void onInboundMessage(String label, RTCDataChannelBuffer buffer) {
    // Runs on a libwebrtc thread: copy, parse, hand over.
    long receivedAtNanos = System.nanoTime();
    int size = buffer.data.remaining();
    DataPacket packet;
    try {
      packet = UserPackets.decode(label, buffer.data, receivedAtNanos);
    } catch (InvalidProtocolBufferException e) {
      log.debug("ignored unparseable data packet ({} bytes)", size);
      return;
    }
    if (packet != null) received.accept(packet);
  }
}
