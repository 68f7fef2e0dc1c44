package com.mentra.livekit.rtc;

import com.mentra.testing.Poll;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** A room listener for tests: keeps every event and lets a test wait for one. */
class RecordingListener implements RoomListener {
  record StateChange(ConnectionState state, String reason, long atNanos) {}

  final List<StateChange> states = new CopyOnWriteArrayList<>();
  final List<DataPacket> data = new CopyOnWriteArrayList<>();
  final List<String> joined = new CopyOnWriteArrayList<>();

  @Override
  public void onConnectionStateChanged(ConnectionState state, String reason) {
    states.add(new StateChange(state, reason, System.nanoTime()));
  }

  @Override
  public void onParticipantConnected(RemoteParticipant participant) {
    joined.add(participant.identity());
  }

  @Override
  public void onDataReceived(DataPacket packet) {
    data.add(packet);
  }

  StateChange awaitState(ConnectionState state, Duration timeout) {
    return awaitState(state, timeout, () -> "");
  }

  /** As {@link #awaitState(ConnectionState, Duration)}, adding {@code context} to a timeout. */
  StateChange awaitState(ConnectionState state, Duration timeout, Supplier<String> context) {
    return Poll.forValue(
        () -> states.stream().filter(s -> s.state() == state).findFirst().orElse(null),
        timeout,
        () -> "state " + state + " (seen " + states + ")" + context.get());
  }

  List<DataPacket> awaitData(int count, Predicate<DataPacket> filter, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<DataPacket> matching = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      matching = data.stream().filter(filter).toList();
      if (matching.size() >= count) return matching;
      sleep(20);
    }
    return matching;
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
