package com.mentra.bridge.server;

import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Visits every item of a changing collection once per round, a share of them at each tick of the
 * round instead of all at the first. The bridge samples its sessions' RTC stats this way: libwebrtc
 * answers {@code getStats} on its network and signalling threads, the ones that carry every
 * session's data, so 100 sessions asked in the same instant held up every session's phone packets
 * by 20-50 ms once per sampling period (load tool, 100 sessions).
 *
 * <p>A round starts with a snapshot of the items; an item that arrives during a round is visited in
 * the next, and one that goes away during a round is still visited, so a visit must cope with an
 * item that has ended (a session whose room is gone). A visit that throws is logged and does not
 * stop the round.
 *
 * <p>Not thread-safe: {@link #run} is called from one scheduler thread, once per tick.
 */
final class StaggeredRounds<T> implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(StaggeredRounds.class);

  private final Supplier<List<T>> items;
  private final Consumer<T> visit;
  private final int ticksPerRound;
  private final ArrayDeque<T> due = new ArrayDeque<>();
  private int ticksLeft;

  /**
   * @param items the current items, asked once at the start of each round
   * @param visit what each item gets once per round
   * @param ticksPerRound how many ticks a round spreads its visits over, at least 1
   */
  StaggeredRounds(Supplier<List<T>> items, Consumer<T> visit, int ticksPerRound) {
    if (ticksPerRound < 1) throw new IllegalArgumentException("ticksPerRound < 1");
    this.items = items;
    this.visit = visit;
    this.ticksPerRound = ticksPerRound;
  }

  @Override
  public void run() {
    if (ticksLeft == 0) {
      due.clear();
      try {
        due.addAll(items.get());
      } catch (RuntimeException e) {
        log.warn("listing what to visit failed; trying again next round", e);
      }
      ticksLeft = ticksPerRound;
    }
    // The remaining items over the remaining ticks, rounded up: the round ends on time.
    int now = (due.size() + ticksLeft - 1) / ticksLeft;
    ticksLeft--;
    for (int i = 0; i < now; i++) {
      T item = due.poll();
      try {
        visit.accept(item);
      } catch (RuntimeException e) {
        log.warn("a periodic visit failed", e);
      }
    }
  }
}
