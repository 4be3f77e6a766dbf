package dev.tether.internal.engine;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Event loops and a handler executor that servers and clients share: the engine behind {@link
 * dev.tether.TetherRuntime}. Connections are spread over the loops round robin.
 */
public final class LoopGroup {
  /** How long a loop that has just served I/O polls before it sleeps, unless told otherwise. */
  public static final Duration DEFAULT_POLL_BEFORE_SLEEP = Duration.ofNanos(50_000);

  private static final LoopGroup SHARED =
      new LoopGroup(
          defaultLoopCount(),
          null,
          "tether",
          DEFAULT_POLL_BEFORE_SLEEP,
          ReceiveMemory.defaultCapacity(),
          SendMemory.defaultCapacity());

  private final EventLoop[] loops;
  private final AtomicInteger next = new AtomicInteger();
  private final Executor handlerExecutor;
  private final HandlerPool ownedPool;
  private final HandlerWatch watch;
  private final List<AutoCloseable> servers = new CopyOnWriteArrayList<>();
  private volatile boolean closed;
  private final ReceiveMemory receiveMemory;
  private final SendMemory sendMemory;

  /**
   * Starts {@code loopCount} loops.
   *
   * @param handlerExecutor where handlers run; null creates a pool of daemon threads that {@link
   *     #close} shuts down, and lets the loops run handlers themselves until one blocks (see {@link
   *     HandlerWatch})
   * @param pollBeforeSleep how long a loop that has just served I/O polls before it sleeps
   * @param largeFrameMemory the bytes the connections together may hold for received large frames
   *     (see {@link ReceiveMemory})
   * @param largeSendMemory the bytes the connections together may hold for large frames to send
   *     (see {@link SendMemory})
   */
  public LoopGroup(
      int loopCount,
      Executor handlerExecutor,
      String threadPrefix,
      Duration pollBeforeSleep,
      long largeFrameMemory,
      long largeSendMemory) {
    if (loopCount < 1) {
      throw new IllegalArgumentException("at least one event loop is needed, not " + loopCount);
    }
    receiveMemory = new ReceiveMemory(largeFrameMemory);
    sendMemory = new SendMemory(largeSendMemory);
    loops = new EventLoop[loopCount];
    watch = handlerExecutor == null ? new HandlerWatch(loops, threadPrefix + "-watch") : null;
    for (int i = 0; i < loopCount; i++) {
      loops[i] =
          new EventLoop(
              threadPrefix + "-loop-" + i,
              watch,
              pollBeforeSleep.toNanos(),
              receiveMemory,
              sendMemory);
    }
    for (EventLoop loop : loops) {
      loop.start();
    }
    if (watch != null) {
      watch.start();
    }
    if (handlerExecutor == null) {
      ownedPool = new HandlerPool(daemonThreads(threadPrefix + "-handler-"));
      this.handlerExecutor = ownedPool;
    } else {
      ownedPool = null;
      this.handlerExecutor = handlerExecutor;
    }
  }

  /** One loop per core up to 8, and at least 2 so that both ends of a loopback test can overlap. */
  public static int defaultLoopCount() {
    return Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors()));
  }

  /** Returns the process-wide group, created on first use and never closed. */
  public static LoopGroup shared() {
    return SHARED;
  }

  public ReceiveMemory receiveMemory() {
    return receiveMemory;
  }

  public SendMemory sendMemory() {
    return sendMemory;
  }

  public int loopCount() {
    return loops.length;
  }

  public Executor handlerExecutor() {
    return handlerExecutor;
  }

  public boolean isClosed() {
    return closed;
  }

  EventLoop next() {
    if (closed) {
      throw new IllegalStateException("this Tether runtime is closed");
    }
    return loops[Math.floorMod(next.getAndIncrement(), loops.length)];
  }

  /** Returns how many times a loop was handed to a new thread because a handler blocked it. */
  public long handOffs() {
    long n = 0;
    for (EventLoop loop : loops) {
      n += loop.handOffs();
    }
    return n;
  }

  /**
   * Returns the timers held by all loops: one per connection plus one per outstanding request, so
   * that a test can check that completed requests leave none behind.
   */
  public int timerCount() throws InterruptedException {
    int count = 0;
    for (EventLoop loop : loops) {
      count += loop.timerCount();
    }
    return count;
  }

  /** Remembers a server so that {@link #close} unbinds it. */
  void register(AutoCloseable server) {
    servers.add(server);
  }

  void unregister(AutoCloseable server) {
    servers.remove(server);
  }

  /**
   * Stops the group: servers stop listening, every connection on its loops is closed at once, the
   * loop threads end and the handler pool this group created is shut down. Waits up to {@code
   * waitMillis} for the threads.
   */
  public void close(long waitMillis) throws InterruptedException {
    if (this == SHARED) {
      throw new IllegalStateException("the shared runtime lives as long as the JVM");
    }
    if (closed) {
      return;
    }
    closed = true;
    for (AutoCloseable server : servers) {
      try {
        server.close();
      } catch (Exception e) {
        // closing anyway
      }
    }
    for (EventLoop loop : loops) {
      loop.shutdown();
    }
    // a handler running on one of these loops hands it to a new thread, which can then stop it
    EventLoop.beforeWaiting();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
    for (EventLoop loop : loops) {
      if (loop.inLoop()) {
        continue; // this thread is that loop: it stops when the current turn ends
      }
      loop.awaitStopped(Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    }
    if (watch != null) {
      watch.stop(); // after the loops: one stuck in a handler is handed on, then stops
    }
    if (ownedPool != null) {
      ownedPool.shutdown(); // its threads end once idle
      ownedPool.awaitTermination(deadline);
    }
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
