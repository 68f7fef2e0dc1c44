package com.mentra.livekit.rtc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.onvoid.webrtc.RTCIceCandidate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * When the server's trickled candidates reach libwebrtc. The ICE restart case is issue 10's: on a
 * resume, candidates of the new ICE generation can arrive before the description that starts it,
 * and were applied at once to the old generation (which libwebrtc rejects or misapplies) instead of
 * waiting for the new description, as LiveKit's Rust SDK has them wait.
 */
class HeldCandidatesTest {
  private final List<String> applied = new ArrayList<>();
  private final HeldCandidates candidates = new HeldCandidates(c -> applied.add(c.sdp));

  private static RTCIceCandidate candidate(String name) {
    return new RTCIceCandidate("0", 0, name);
  }

  @Test
  void candidatesWaitForTheFirstRemoteDescriptionAndThenApplyAtOnce() {
    candidates.add(candidate("early"));
    assertThat(applied).isEmpty();
    candidates.remoteDescriptionApplied();
    assertThat(applied).containsExactly("early");
    candidates.add(candidate("late"));
    assertThat(applied).containsExactly("early", "late");
  }

  @Test
  void duringAnIceRestartCandidatesWaitForTheNewGenerationsDescription() {
    candidates.remoteDescriptionApplied();
    candidates.add(candidate("generation 1"));
    assertThat(applied).containsExactly("generation 1");

    candidates.iceRestart();
    candidates.add(candidate("generation 2, a"));
    candidates.add(candidate("generation 2, b"));
    assertThat(applied)
        .as("nothing of the new generation applied to the old description")
        .containsExactly("generation 1");

    candidates.remoteDescriptionApplied();
    assertThat(applied)
        .as("held in order until the new description is applied")
        .containsExactly("generation 1", "generation 2, a", "generation 2, b");
    candidates.add(candidate("generation 2, c"));
    assertThat(applied).endsWith("generation 2, c");
  }

  @Test
  void afterAServerOfferCandidatesWaitForTheHoldOnItsAnswerToEnd() {
    int offer = candidates.holdForOffer();
    candidates.add(candidate("for the answer"));
    candidates.remoteDescriptionApplied();
    assertThat(applied).isEmpty();
    candidates.release(offer);
    assertThat(applied).containsExactly("for the answer");
  }
}
