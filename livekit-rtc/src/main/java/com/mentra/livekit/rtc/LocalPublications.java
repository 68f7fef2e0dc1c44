package com.mentra.livekit.rtc;

import com.mentra.livekit.rtc.internal.NativeAudioSender;
import com.mentra.livekit.rtc.internal.PeerTransport;
import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.RTCRtpSender;
import dev.onvoid.webrtc.RTCRtpTransceiver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import livekit.LivekitModels.TrackInfo;
import livekit.LivekitModels.TrackType;
import livekit.LivekitRtc.AddTrackRequest;
import livekit.LivekitRtc.SignalRequest;

/**
 * Our published tracks, which outlive the joins: each join announces every track to the server (an
 * AddTrack request), attaches it to that join's publisher once the server accepted it, and detaches
 * it before the join's transports close, so the next join can publish it again.
 *
 * <p>Confined to the room's executor.
 */
final class LocalPublications {
  /** A local track and what it is bound to in the current join. */
  private static final class Publication {
    final LocalAudioTrack track;
    final CompletableFuture<LocalAudioTrack> published;

    /**
     * The track's transceiver on the current join's publisher; null until the server accepted it.
     */
    RTCRtpTransceiver transceiver;

    Publication(LocalAudioTrack track, CompletableFuture<LocalAudioTrack> published) {
      this.track = track;
      this.published = published;
    }
  }

  private final RoomExecutor room;
  private final Room owner;
  private final PeerConnectionFactory factory;
  private final Map<String, Publication> byCid = new HashMap<>();

  /**
   * @param factory creates the tracks' native audio sources (the sending factory)
   */
  LocalPublications(RoomExecutor room, Room owner, PeerConnectionFactory factory) {
    this.room = room;
    this.owner = owner;
    this.factory = factory;
  }

  /**
   * Publishes a new audio track in the current join, if any, else in the next; {@code published}
   * completes with the track once the server accepted it.
   */
  void publish(
      LocalAudioTrackOptions options,
      CompletableFuture<LocalAudioTrack> published,
      RtcSession session) {
    room.checkCurrent();
    String cid = "TR_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    LocalAudioTrack track =
        new LocalAudioTrack(owner, cid, options, new NativeAudioSender(factory, cid));
    Publication publication = new Publication(track, published);
    byCid.put(cid, publication);
    requestPublish(publication, session);
  }

  /** A new join: announces every track again. */
  void requestAll(RtcSession session) {
    room.checkCurrent();
    for (Publication publication : byCid.values()) requestPublish(publication, session);
  }

  /** The server accepted our track {@code cid}: it goes on the publisher, under our msid. */
  void onPublished(String cid, TrackInfo info, RtcSession session, String localSid) {
    room.checkCurrent();
    Publication publication = byCid.get(cid);
    PeerTransport publisher = session == null ? null : session.publisher();
    if (publication == null || publisher == null) return;
    publication.track.setSid(info.getSid());
    if (publication.transceiver == null) {
      // The publisher's first offer must hold only the data channels: the first m-section is the
      // bundle's tag, and a stopped transceiver (see unpublish) must never be it, or rejecting its
      // m-section takes the data channels' transport down with it. Offering the data channels
      // first costs one offer/answer round trip, once per join.
      if (!publisher.negotiated()) publisher.negotiate(false);
      publication.transceiver =
          publication
              .track
              .sender()
              .withPushesPaused(
                  () ->
                      publisher.addSendOnlyTrack(
                          publication.track.sender().track(), List.of(localSid + "|" + cid)));
      publisher.negotiate(false);
    }
    if (!publication.published.isDone()) publication.published.complete(publication.track);
  }

  /**
   * The server attached the first subscriber to our track {@code sid}: audio pushed now is heard.
   */
  void onSubscribed(String sid) {
    room.checkCurrent();
    for (Publication publication : byCid.values()) {
      if (sid.equals(publication.track.sid())) publication.track.markSubscribed();
    }
  }

  /**
   * Takes {@code track} off the publisher and releases it; its pushes were already stopped. The
   * transceiver is stopped, not just emptied: libwebrtc frees a send stream and its encoder thread
   * only when the m-section is rejected, so removeTrack left one behind per publish for the life of
   * the join.
   */
  void unpublish(LocalAudioTrack track, RtcSession session) {
    room.checkCurrent();
    Publication publication = byCid.remove(track.cid());
    if (publication == null) return;
    PeerTransport publisher = session == null ? null : session.publisher();
    if (publication.transceiver != null && publisher != null) {
      publisher.stopTransceiver(publication.transceiver);
      publisher.negotiate(false);
    }
    publication.published.completeExceptionally(new IllegalStateException("unpublished"));
    track.sender().dispose();
  }

  /**
   * The join's transports are about to close: every track leaves its publisher; the tracks stay.
   */
  void detachAll(RtcSession session) {
    room.checkCurrent();
    PeerTransport publisher = session == null ? null : session.publisher();
    for (Publication publication : byCid.values()) {
      // Detach the track first: a sender holding it keeps the native track alive past dispose.
      if (publication.transceiver != null && publisher != null) {
        RTCRtpSender sender = publication.transceiver.getSender();
        publication
            .track
            .sender()
            .withPushesPaused(
                () -> {
                  publisher.removeTrack(sender);
                  return null;
                });
      }
      publication.transceiver = null;
    }
  }

  /** The room closed: every track is released and every pending publish fails. */
  void closeAll() {
    room.checkCurrent();
    for (Publication publication : byCid.values()) {
      publication.published.completeExceptionally(new IllegalStateException("room closed"));
      publication.track.sender().dispose();
    }
    byCid.clear();
  }

  private static void requestPublish(Publication publication, RtcSession session) {
    if (session == null) return; // sent again on the next join
    LocalAudioTrack track = publication.track;
    session.send(
        SignalRequest.newBuilder()
            .setAddTrack(
                AddTrackRequest.newBuilder()
                    .setCid(track.cid())
                    .setName(track.name())
                    .setType(TrackType.AUDIO)
                    .setSource(ParticipantTracker.toProto(track.source())))
            .build());
  }
}
