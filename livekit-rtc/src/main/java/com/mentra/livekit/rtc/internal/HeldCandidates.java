package com.mentra.livekit.rtc.internal;

import dev.onvoid.webrtc.RTCIceCandidate;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The server's trickled candidates for one peer connection, applied only once libwebrtc can use
 * them: after a remote description exists (during an ICE restart, the new one), and after an offer
 * from the server not before its answer's hold is released, {@link #ANSWER_CHECK_DELAY_MS} after
 * the answer went out. The rest wait here, in order.
 *
 * <p>Not thread-safe: confined with its {@link PeerTransport} to the owner's executor.
 */
final class HeldCandidates {
  /**
   * How long after our answer went out the server's trickled candidates are applied. With them
   * applied at once, libwebrtc's first connectivity check reaches LiveKit before the server has
   * applied our answer; it is discarded (our ICE credentials are not known yet) and libwebrtc
   * checks again only ~50 ms later. Measured here: a warm single join took 65-75 ms without this
   * hold, 18-25 ms with it.
   */
  static final long ANSWER_CHECK_DELAY_MS = 15;

  private final Consumer<RTCIceCandidate> apply;
  private final List<RTCIceCandidate> held = new ArrayList<>();
  private boolean remoteDescriptionSet;

  /** The offer whose answer candidates wait for (0: none); a newer offer takes over the hold. */
  private int heldForOffer;

  private int offers;

  /**
   * @param apply gives a candidate to libwebrtc
   */
  HeldCandidates(Consumer<RTCIceCandidate> apply) {
    this.apply = apply;
  }

  void add(RTCIceCandidate candidate) {
    if (remoteDescriptionSet && heldForOffer == 0) {
      apply.accept(candidate);
    } else {
      held.add(candidate);
    }
  }

  /**
   * An offer from the server arrived: candidates wait for its answer; returns the number {@link
   * #release} takes.
   */
  int holdForOffer() {
    heldForOffer = ++offers;
    return heldForOffer;
  }

  /** The hold of offer {@code offerNumber} ends, unless a newer offer holds them now. */
  void release(int offerNumber) {
    if (heldForOffer != offerNumber) return;
    heldForOffer = 0;
    if (remoteDescriptionSet) applyHeld();
  }

  void remoteDescriptionApplied() {
    remoteDescriptionSet = true;
    if (heldForOffer == 0) applyHeld();
  }

  /** An ICE restart is starting: candidates wait for the new generation's description. */
  void iceRestart() {
    remoteDescriptionSet = false;
  }

  void clear() {
    held.clear();
  }

  private void applyHeld() {
    for (RTCIceCandidate candidate : held) apply.accept(candidate);
    held.clear();
  }
}
