package dev.tether.internal.engine;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The process-wide event loops and handler pool, created on first use. Loop threads are daemons and
 * idle loops cost nothing, so the group is never shut down.
 */
final class EventLoopGroup {
  private static final EventLoopGroup SHARED = new EventLoopGroup(loopCount());

  private final EventLoop[] loops;
  private final AtomicInteger next = new AtomicInteger();
  private final ExecutorService handlerPool;

  private EventLoopGroup(int count) {
    loops = new EventLoop[count];
    for (int i = 0; i < count; i++) {
      loops[i] = new EventLoop("tether-loop-" + i);
    }
    handlerPool = Executors.newCachedThreadPool(daemonThreads("tether-handler-"));
  }

  /** One loop per core up to 8, and at least 2 so that both ends of a loopback test can overlap. */
  private static int loopCount() {
    return Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors()));
  }

  static EventLoopGroup shared() {
    return SHARED;
  }

  EventLoop next() {
    return loops[Math.floorMod(next.getAndIncrement(), loops.length)];
  }

  ExecutorService handlerPool() {
    return handlerPool;
  }

  static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger counter = new AtomicInteger();
    return runnable -> {
      Thread t = new Thread(runnable, prefix + counter.getAndIncrement());
      t.setDaemon(true);
      return t;
    };
  }
}
