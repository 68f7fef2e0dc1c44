package com.mentra.livekit.rtc.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Open rooms, so the shutdown hook can leave them before the native factories go away. */
public final class RoomRegistry {
  /** Something that can be closed within a bound. */
  public interface Closeable {
    void closeWithin(Duration timeout);
  }

  private static final Set<Closeable> OPEN = ConcurrentHashMap.newKeySet();

  private RoomRegistry() {}

  public static void register(Closeable room) {
    OPEN.add(room);
  }

  public static void unregister(Closeable room) {
    OPEN.remove(room);
  }

  public static int openCount() {
    return OPEN.size();
  }

  static void closeAll(Duration timeout) {
    List<Closeable> rooms = new ArrayList<>(OPEN);
    for (Closeable room : rooms) {
      try {
        room.closeWithin(timeout);
      } catch (RuntimeException ignored) {
        // Best effort at shutdown.
      }
    }
  }
}
