package dev.tether.testing;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** The heap in use once garbage is gone, for tests that bound what the transport retains. */
public final class Heap {
  /** Shrinkage below which two collections in a row count as settled. */
  private static final long SETTLED_BYTES = 256 * 1024;

  private static final int MAX_COLLECTIONS = 12;

  private Heap() {}

  /**
   * Returns the bytes of heap in use after full collections have stopped freeing memory. One
   * collection is not enough: a closed socket is freed only after its {@code Cleaner} has run on
   * its own thread, after the collection that found it unreachable, so a single figure can be
   * megabytes high after closing thousands of connections, and then lower at the next look.
   */
  public static long usedAfterGc() {
    long previous = Long.MAX_VALUE;
    for (int i = 0; i < MAX_COLLECTIONS; i++) {
      System.gc();
      long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      if (used > previous - SETTLED_BYTES) {
        return Math.min(used, previous);
      }
      previous = used;
      // give the reference handler and cleaner threads a turn before the next collection
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    return previous;
  }
}
