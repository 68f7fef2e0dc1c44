package com.mentra.bridge.server;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per user id, held only while someone uses it: a user's operations (join, leave) run one
 * at a time, and a user's slow join never makes another user wait (as locks striped over ids did,
 * held across up to ~17 s of network I/O). Entries are removed when their last holder or waiter
 * leaves, so the map is bounded by concurrent operations, not by users ever seen. Thread-safe.
 */
final class UserLocks {
  private static final class Entry {
    final ReentrantLock lock = new ReentrantLock();
    int users; // holders and waiters; guarded by the map's compute
  }

  /** A held user lock; closing it releases the lock. */
  interface Held extends AutoCloseable {
    @Override
    void close();
  }

  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

  /** Takes the user's lock, waiting at most {@code timeoutMillis}; null when that ran out. */
  Held acquire(String userId, long timeoutMillis) throws InterruptedException {
    Entry entry =
        entries.compute(
            userId,
            (id, e) -> {
              Entry use = e == null ? new Entry() : e;
              use.users++;
              return use;
            });
    boolean locked = false;
    try {
      locked = entry.lock.tryLock(timeoutMillis, TimeUnit.MILLISECONDS);
    } finally {
      if (!locked) release(userId, entry, false);
    }
    return locked ? () -> release(userId, entry, true) : null;
  }

  private void release(String userId, Entry entry, boolean unlock) {
    if (unlock) entry.lock.unlock();
    entries.compute(
        userId,
        (id, e) -> {
          if (e != entry) return e;
          return --e.users == 0 ? null : e;
        });
  }

  /** Users with a holder or waiter now (for tests). */
  int size() {
    return entries.size();
  }
}
