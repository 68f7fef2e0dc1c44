package com.mentra.bridge.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Whether a run held its load: nothing lost, every session joined, p99 within the bound. */
class HoldVerdictTest {
  private static Map<String, Object> drops() {
    Map<String, Object> d = new HashMap<>();
    d.put("bridge_dropped_chunks", 0L);
    d.put("bridge_phone_packets_lost", 0L);
    d.put("unaccounted", 0L);
    d.put("phone_send_errors", 0L);
    d.put("stream_errors", 0L);
    return d;
  }

  @Test
  void aCleanRunWithinTheBoundHolds() {
    assertThat(HoldVerdict.failures(Map.of("p99", 12.5), drops(), 0, 20)).isEmpty();
  }

  @Test
  void aSlowTailOrAnyLossDoesNotHold() {
    assertThat(HoldVerdict.failures(Map.of("p99", 20.1), drops(), 0, 20))
        .containsExactly("phone -> client p99 20.1 ms (bound 20 ms)");

    Map<String, Object> lossy = drops();
    lossy.put("bridge_dropped_chunks", 3L);
    lossy.put("bridge_phone_packets_lost", 2L);
    assertThat(HoldVerdict.failures(Map.of("p99", 5.0), lossy, 1, 20))
        .containsExactly(
            "3 chunks dropped by the bridge",
            "2 phone packets lost before the bridge",
            "1 sessions did not join");
  }

  @Test
  void noLatencyFiguresDoNotHold() {
    assertThat(HoldVerdict.failures(Map.of(), drops(), 0, 20))
        .containsExactly("phone -> client p99 null ms (bound 20 ms)");
  }
}
