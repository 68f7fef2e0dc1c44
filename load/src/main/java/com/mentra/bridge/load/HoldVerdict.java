package com.mentra.bridge.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Whether a run held its load (--hold-p99): every phone packet reached its client (none dropped by
 * the bridge, lost before it, unaccounted or unsent), no StreamAudio call failed, every session
 * joined, and phone -> client p99 stayed within the bound over the whole run. Issue 12's capacity
 * criterion; {@code scripts/load-capacity.sh} raises N until a run does not hold. Stateless.
 */
final class HoldVerdict {
  private HoldVerdict() {}

  /**
   * Why the run did not hold; empty when it held.
   *
   * @param downMs the summary's phone -> client latency figures ("p99" in ms)
   * @param drops the packet accounting ({@link PacketAccounting#account})
   */
  static List<String> failures(
      Map<String, Object> downMs, Map<String, Object> drops, long joinFailures, double maxP99Ms) {
    List<String> failures = new ArrayList<>();
    count(failures, drops, "bridge_dropped_chunks", "chunks dropped by the bridge");
    count(failures, drops, "bridge_phone_packets_lost", "phone packets lost before the bridge");
    count(failures, drops, "unaccounted", "phone packets unaccounted for");
    count(failures, drops, "phone_send_errors", "phone packets the phones failed to send");
    count(failures, drops, "stream_errors", "StreamAudio calls ended with an error");
    if (joinFailures > 0) failures.add(joinFailures + " sessions did not join");
    Object p99 = downMs.get("p99");
    if (!(p99 instanceof Number n) || !(n.doubleValue() <= maxP99Ms)) {
      failures.add(
          String.format(Locale.ROOT, "phone -> client p99 %s ms (bound %.0f ms)", p99, maxP99Ms));
    }
    return failures;
  }

  private static void count(
      List<String> failures, Map<String, Object> drops, String key, String what) {
    Object v = drops.get(key);
    if (v instanceof Number n && n.longValue() > 0) failures.add(n.longValue() + " " + what);
  }

  /** The run's last line on stdout: HELD, or NOT HELD with the reasons. */
  static void print(int sessions, List<String> failures, double maxP99Ms) {
    if (failures.isEmpty())
      Console.say(
          "HELD: %d sessions, phone -> client p99 <= %.0f ms, nothing lost", sessions, maxP99Ms);
    else Console.say("NOT HELD: %d sessions: %s", sessions, String.join("; ", failures));
  }
}
