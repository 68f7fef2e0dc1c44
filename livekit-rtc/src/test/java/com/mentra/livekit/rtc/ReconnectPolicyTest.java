package com.mentra.livekit.rtc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reconnect policy without a server: a fake clock and the decisions it makes. */
class ReconnectPolicyTest {
  private long now = 1_000_000_000L;

  private ReconnectPolicy policy(int maxAttempts, long timeoutMs) {
    return new ReconnectPolicy(
        maxAttempts, Duration.ofMillis(timeoutMs), Duration.ofSeconds(10), () -> now);
  }

  private void advance(long ms) {
    now += ms * 1_000_000;
  }

  @Test
  void aLossWithASessionResumesFirstAndASuccessfulResumeNeedsNothingElse() {
    ReconnectPolicy p = policy(5, 30_000);
    ReconnectPolicy.Decision d = p.lost("signal closed", true);
    assertThat(d).isEqualTo(new ReconnectPolicy.Resume(Duration.ofSeconds(10)));
    assertThat(p.attempts()).isEqualTo(1);
  }

  @Test
  void aFailedResumeRejoinsAtOnceAndTheAttemptNeverOutlastsTheOverallTimeout() {
    ReconnectPolicy p = policy(5, 12_000);
    p.lost("transport failed", true);
    advance(9_000);
    ReconnectPolicy.Decision d = p.resumeFailed("session unknown");
    assertThat(d).isEqualTo(new ReconnectPolicy.Rejoin(Duration.ofMillis(3_000)));
    assertThat(p.attempts()).isEqualTo(2);
  }

  @Test
  void withoutASessionTheFirstStepIsARejoin() {
    ReconnectPolicy p = policy(5, 30_000);
    assertThat(p.lost("signal closed", false))
        .isEqualTo(new ReconnectPolicy.Rejoin(Duration.ofSeconds(10)));
  }

  @Test
  void backoffDoublesFrom250msAndStopsAt2s() {
    ReconnectPolicy p = policy(100, 600_000);
    p.lost("down", false);
    List<Long> delays = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      ReconnectPolicy.Decision d = p.rejoinFailed("unreachable");
      assertThat(d).isInstanceOf(ReconnectPolicy.RejoinAfter.class);
      delays.add(((ReconnectPolicy.RejoinAfter) d).delay().toMillis());
      advance(delays.get(i));
      assertThat(p.rejoinNow()).isInstanceOf(ReconnectPolicy.Rejoin.class);
    }
    assertThat(delays).containsExactly(250L, 500L, 1_000L, 2_000L, 2_000L, 2_000L, 2_000L);
  }

  @Test
  void givesUpAfterMaxAttemptsWithTheLastError() {
    ReconnectPolicy p = policy(3, 600_000);
    p.lost("down", true); // attempt 1: resume
    assertThat(p.resumeFailed("unknown session")).isInstanceOf(ReconnectPolicy.Rejoin.class); // 2
    p.rejoinFailed("cannot reach LiveKit");
    assertThat(p.rejoinNow()).isInstanceOf(ReconnectPolicy.Rejoin.class); // 3
    p.rejoinFailed("cannot reach LiveKit at host:7880");
    ReconnectPolicy.Decision d = p.rejoinNow();
    assertThat(d).isInstanceOf(ReconnectPolicy.GiveUp.class);
    assertThat(((ReconnectPolicy.GiveUp) d).reason())
        .contains("gave up after 3 attempts")
        .contains("cannot reach LiveKit at host:7880");
  }

  @Test
  void givesUpWhenTheBackoffWouldOutlastTheOverallTimeout() {
    ReconnectPolicy p = policy(100, 5_000);
    p.lost("down", false);
    advance(4_900);
    ReconnectPolicy.Decision d = p.rejoinFailed("timeout");
    assertThat(d).isInstanceOf(ReconnectPolicy.GiveUp.class);
  }

  @Test
  void givesUpWhenTheDeadlinePassedDuringTheWait() {
    ReconnectPolicy p = policy(100, 5_000);
    p.lost("down", false);
    advance(4_000);
    assertThat(p.rejoinFailed("timeout")).isInstanceOf(ReconnectPolicy.RejoinAfter.class);
    advance(1_500); // the timer fired late
    assertThat(p.rejoinNow()).isInstanceOf(ReconnectPolicy.GiveUp.class);
  }

  @Test
  void anAttemptGetsAtLeast500msAndZeroAttemptsMeansNoResume() {
    ReconnectPolicy p = policy(5, 10_000);
    p.lost("down", false);
    advance(9_800);
    assertThat(p.rejoinNow()).isEqualTo(new ReconnectPolicy.Rejoin(Duration.ofMillis(500)));
    ReconnectPolicy none = policy(0, 10_000);
    assertThat(none.lost("down", true)).isInstanceOf(ReconnectPolicy.GiveUp.class);
  }

  @Test
  void aNewLossStartsAfresh() {
    ReconnectPolicy p = policy(2, 10_000);
    p.lost("down", true);
    p.resumeFailed("x");
    assertThat(p.attempts()).isEqualTo(2);
    advance(60_000);
    assertThat(p.lost("down again", true)).isInstanceOf(ReconnectPolicy.Resume.class);
    assertThat(p.attempts()).isEqualTo(1);
  }
}
