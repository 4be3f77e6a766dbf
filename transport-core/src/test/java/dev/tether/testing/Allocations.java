package dev.tether.testing;

import java.lang.management.ManagementFactory;

/**
 * The calling thread's allocation counter, {@link
 * com.sun.management.ThreadMXBean#getThreadAllocatedBytes(long)}, where the JVM offers one (HotSpot
 * does). It counts every byte the thread allocated on the heap, garbage included.
 */
public final class Allocations {
  private static final com.sun.management.ThreadMXBean THREADS = threads();

  private Allocations() {}

  private static com.sun.management.ThreadMXBean threads() {
    if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
        && bean.isThreadAllocatedMemorySupported()) {
      bean.setThreadAllocatedMemoryEnabled(true);
      return bean;
    }
    return null;
  }

  /** Returns whether allocations can be measured on this JVM. */
  public static boolean measurable() {
    return THREADS != null;
  }

  /** Returns the bytes this thread has allocated so far, or -1 if that cannot be measured. */
  public static long current() {
    return THREADS == null ? -1 : THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
  }

  /** Returns the bytes allocated since {@code before}, or -1 if that cannot be measured. */
  public static long since(long before) {
    return before < 0 ? -1 : current() - before;
  }
}
