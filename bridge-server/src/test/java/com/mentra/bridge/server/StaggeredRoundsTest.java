package com.mentra.bridge.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class StaggeredRoundsTest {
  @Test
  void eachRoundVisitsEveryItemOnceSpreadEvenlyOverItsTicks() {
    List<Integer> items = IntStream.range(0, 100).boxed().toList();
    List<Integer> visited = new ArrayList<>();
    StaggeredRounds<Integer> rounds = new StaggeredRounds<>(() -> items, visited::add, 30);
    for (int round = 0; round < 3; round++) {
      visited.clear();
      List<Integer> perTick = new ArrayList<>();
      for (int tick = 0; tick < 30; tick++) {
        int before = visited.size();
        rounds.run();
        perTick.add(visited.size() - before);
      }
      assertThat(visited).containsExactlyInAnyOrderElementsOf(items);
      assertThat(perTick).allSatisfy(n -> assertThat(n).isBetween(3, 4));
    }
  }

  @Test
  void anItemThatArrivesDuringARoundWaitsForTheNext() {
    List<String> items = new ArrayList<>(List.of("a", "b"));
    List<String> visited = new ArrayList<>();
    StaggeredRounds<String> rounds =
        new StaggeredRounds<>(() -> List.copyOf(items), visited::add, 4);
    rounds.run();
    items.add("c");
    for (int tick = 1; tick < 4; tick++) rounds.run();
    assertThat(visited).containsExactly("a", "b");
    for (int tick = 0; tick < 4; tick++) rounds.run();
    assertThat(visited).containsExactly("a", "b", "a", "b", "c");
  }

  @Test
  void aVisitThatThrowsDoesNotStopTheRound() {
    List<Integer> visited = new ArrayList<>();
    StaggeredRounds<Integer> rounds =
        new StaggeredRounds<>(
            () -> List.of(1, 2, 3),
            i -> {
              if (i == 2) throw new IllegalStateException("boom");
              visited.add(i);
            },
            1);
    rounds.run();
    rounds.run();
    assertThat(visited).containsExactly(1, 3, 1, 3);
  }

  @Test
  void withFewerItemsThanTicksSomeTicksVisitNothing() {
    List<Integer> visited = new ArrayList<>();
    StaggeredRounds<Integer> rounds = new StaggeredRounds<>(() -> List.of(7), visited::add, 30);
    for (int tick = 0; tick < 60; tick++) rounds.run();
    assertThat(visited).containsExactly(7, 7);
  }
}
