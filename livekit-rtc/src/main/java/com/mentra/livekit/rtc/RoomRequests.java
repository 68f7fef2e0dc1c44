package com.mentra.livekit.rtc;

import com.mentra.livekit.rtc.internal.WebRtcRuntime;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import livekit.LivekitModels;

/**
 * What a caller asks of a room besides connecting and closing: sending data, publishing and
 * unpublishing audio, subscribing to a participant's audio, and the media figures. Each request is
 * handed over to the room's executor and carried out there on the {@link RoomEngine}'s current
 * session; a request that needs a room fails while the room is disconnected.
 *
 * <p>Thread-safe: the methods may be called from any thread and only hand over; what they hand over
 * runs on the room's executor.
 */
final class RoomRequests {
  private final RoomEngine engine;
  private final RoomExecutor room;
  private final WebRtcRuntime rtc;
  private final RoomOptions options;
  private final DataChannelSender data;
  private final LocalPublications publications;
  private final RemoteParticipants remote;

  RoomRequests(
      RoomEngine engine,
      RoomExecutor room,
      WebRtcRuntime rtc,
      RoomOptions options,
      DataChannelSender data,
      LocalPublications publications,
      RemoteParticipants remote) {
    this.engine = engine;
    this.room = room;
    this.rtc = rtc;
    this.options = options;
    this.data = data;
    this.publications = publications;
    this.remote = remote;
  }

  CompletableFuture<Void> sendData(byte[] payload, DataSendOptions sendOptions) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    LivekitModels.DataPacket.Builder packet = UserPackets.build(payload, sendOptions);
    room.submit(
        () -> {
          if (engine.refusedWhenDisconnected(done)) return;
          data.send(
              new DataChannelSender.Packet(
                  sendOptions.kind(), UserPackets.encode(packet, engine.local().identity()), done));
          if (data.hasPending()) engine.connectPublisher();
        },
        done);
    return done;
  }

  CompletableFuture<LocalAudioTrack> publishAudio(LocalAudioTrackOptions trackOptions) {
    CompletableFuture<LocalAudioTrack> published = new CompletableFuture<>();
    room.submit(
        () -> {
          if (!engine.refusedWhenDisconnected(published))
            publications.publish(trackOptions, published, engine.session());
        },
        published);
    return published;
  }

  void unpublish(LocalAudioTrack track) {
    track.sender().stop(); // no push from here on, and none in flight while the sender is detached
    room.submit(() -> publications.unpublish(track, engine.session()));
  }

  /** Media transport figures from both peer connections; completes within 2 s. */
  CompletableFuture<RtcStats> stats() {
    CompletableFuture<RtcStats> result = new CompletableFuture<>();
    room.submit(
        () -> {
          RtcSession session = engine.session();
          if (session == null) result.complete(RtcStats.UNKNOWN);
          else session.stats(result);
        },
        result);
    return result.completeOnTimeout(RtcStats.UNKNOWN, 2, TimeUnit.SECONDS);
  }

  AudioSubscription receiveAudio(
      String identity, int sampleRate, int channels, AudioFrameListener frameListener) {
    RemoteAudioReceiver receiver =
        new RemoteAudioReceiver(
            identity,
            sampleRate,
            channels,
            options.audioQueueFrames(),
            frameListener,
            rtc.workers(),
            r -> room.submit(() -> remote.removeReceiver(r)));
    remote.addReceiver(receiver);
    room.submit(() -> remote.attach(identity));
    return receiver;
  }
}
