package dev.tether.internal.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread with one {@link Selector}, serving many channels, and the {@link DeadlineQueue} of
 * their timers. Other threads hand it work with {@link #execute} (the selector is woken only if it
 * may be sleeping) and timers with {@link #addTimer}.
 *
 * <p>The loop never waits on anything but its selector. Whatever a channel's handler, a task or a
 * timer throws is caught: the channel's handler is told through {@link Handler#onFailure} so that
 * it can close its own connection, and the loop carries on with every other channel.
 */
public final class EventLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(EventLoop.class);

  /** Bytes moved per socket read; also what one read of a paused connection may hold back. */
  static final int READ_BUFFER_BYTES = 64 * 1024;

  /** Bytes copied from an outbound ring into one socket write. */
  static final int WRITE_BUFFER_BYTES = 256 * 1024;

  /** A timer added from another thread wakes the loop only if due this much before it would. */
  private static final long WAKE_SLACK_NANOS = 1_000_000;

  /** Reacts to readiness of its channel; the selection key's attachment. */
  interface Handler {
    void onReady(SelectionKey key);

    /** Told when {@link #onReady} or one of its timers threw; must close its channel. */
    void onFailure(Throwable failure);

    /** Told when the loop stops (its runtime was closed); must close its channel at once. */
    default void onLoopStopped() {
      onFailure(new IllegalStateException("the runtime was closed"));
    }
  }

  /** The thread of a loop; lets any code ask cheaply whether it runs on an event loop. */
  static final class LoopThread extends Thread {
    final EventLoop loop;

    LoopThread(EventLoop loop, String name) {
      super(loop, name);
      this.loop = loop;
      setDaemon(true);
    }
  }

  private final Selector selector;
  private final LoopThread thread;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private final AtomicReference<DeadlineQueue.Timer> addedTimers = new AtomicReference<>();
  private final DeadlineQueue timers = new DeadlineQueue();
  private final java.util.function.Consumer<SelectionKey> dispatcher = this::dispatch;

  /** Work for the end of this turn, added on the loop thread without allocating. */
  private final ArrayList<Runnable> endOfTurn = new ArrayList<>();

  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile long sleepingUntil = Long.MIN_VALUE;
  private volatile boolean stopping;

  /** Shared by every connection of this loop; only touched on the loop thread. */
  final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER_BYTES);

  final ByteBuffer writeBuffer = ByteBuffer.allocateDirect(WRITE_BUFFER_BYTES);

  EventLoop(String name) {
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a selector", e);
    }
    thread = new LoopThread(this, name);
    thread.start();
  }

  /** Returns the loop whose thread is the current thread, or null. */
  static EventLoop current() {
    return Thread.currentThread() instanceof LoopThread t ? t.loop : null;
  }

  /** Returns true on any event-loop thread, where nothing may wait. */
  static boolean onAnyLoop() {
    return Thread.currentThread() instanceof LoopThread;
  }

  Selector selector() {
    return selector;
  }

  boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  String name() {
    return thread.getName();
  }

  /** Runs {@code task} on the loop thread, soon; after {@link #shutdown}, never. */
  void execute(Runnable task) {
    tasks.add(task);
    if (!inLoop() && wakeupPending.compareAndSet(false, true)) {
      selector.wakeup();
    }
  }

  /**
   * Runs {@code task} at the end of the current turn, after every ready channel was served: writes
   * queued by many reads go out in one system call. Loop thread only; allocates nothing.
   */
  void atEndOfTurn(Runnable task) {
    endOfTurn.add(task);
  }

  /** Schedules a timer; loop thread only. */
  void schedule(DeadlineQueue.Timer timer, long deadline) {
    timers.schedule(timer, deadline);
  }

  /** Cancels a timer; loop thread only. */
  void cancel(DeadlineQueue.Timer timer) {
    timers.cancel(timer);
  }

  /**
   * Schedules a timer from any thread, without allocating: the timer is linked into a stack that
   * the loop moves into its queue on its next turn. The loop is woken only if it would otherwise
   * sleep past the deadline. The timer's {@link AddedTimer#nextAdded} link must be free.
   */
  void addTimer(AddedTimer timer, long deadline) {
    timer.deadline = deadline;
    DeadlineQueue.Timer head;
    do {
      head = addedTimers.get();
      timer.nextAdded = head;
    } while (!addedTimers.compareAndSet(head, timer));
    if (!inLoop() && sleepsPast(deadline) && wakeupPending.compareAndSet(false, true)) {
      selector.wakeup();
    }
  }

  /**
   * Returns true if the loop is asleep until after {@code deadline}. The loop publishes its sleep
   * before it looks at the added timers one last time, so one of the two always sees the other.
   */
  private boolean sleepsPast(long deadline) {
    long until = sleepingUntil;
    if (until == Long.MIN_VALUE) {
      return false; // awake: it will look at the added timers before it sleeps
    }
    return until == Long.MAX_VALUE || deadline - until + WAKE_SLACK_NANOS < 0;
  }

  /** A timer that may be added from another thread; it may also be dropped before it is added. */
  abstract static class AddedTimer extends DeadlineQueue.Timer {
    DeadlineQueue.Timer nextAdded;

    /** Returns false once the timer no longer matters, so that the loop need not schedule it. */
    abstract boolean isLive();
  }

  /** Returns how many timers the loop holds, counted on its own thread; for tests and metrics. */
  int timerCount() throws InterruptedException {
    java.util.concurrent.CompletableFuture<Integer> count =
        new java.util.concurrent.CompletableFuture<>();
    execute(
        () -> {
          addTimers();
          count.complete(timers.size());
        });
    try {
      return count.get(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("event loop " + name() + " did not answer", e);
    }
  }

  /** Stops the loop: closes every channel registered with it, then ends the thread. */
  void shutdown() {
    stopping = true;
    selector.wakeup();
  }

  /** Waits up to {@code millis} for the thread to end; returns true if it did. */
  boolean awaitStopped(long millis) throws InterruptedException {
    return stopped.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  @Override
  public void run() {
    try {
      while (!stopping) {
        try {
          turn();
        } catch (Throwable t) {
          log.error("event loop {} caught an unexpected error; continuing", thread.getName(), t);
        }
      }
      closeAll();
    } finally {
      stopped.countDown();
    }
  }

  private void turn() throws IOException {
    addTimers();
    long next = timers.nextDeadline();
    long now = System.nanoTime();
    if (!tasks.isEmpty() || !endOfTurn.isEmpty() || (next != Long.MAX_VALUE && next - now <= 0)) {
      sleepingUntil = Long.MIN_VALUE;
      selector.selectNow(dispatcher);
    } else {
      sleepingUntil = next;
      if (addedTimers.get() != null || !tasks.isEmpty()) {
        sleepingUntil = Long.MIN_VALUE;
        selector.selectNow(dispatcher);
      } else if (next == Long.MAX_VALUE) {
        selector.select(dispatcher);
      } else {
        selector.select(dispatcher, Math.max(1, (next - now + 999_999) / 1_000_000));
      }
      sleepingUntil = Long.MIN_VALUE;
    }
    wakeupPending.set(false);
    runTasks();
    addTimers();
    timers.expire(System.nanoTime());
    runEndOfTurn();
  }

  private void runEndOfTurn() {
    // by index: a task may add another, which then runs in this same pass
    for (int i = 0; i < endOfTurn.size(); i++) {
      try {
        endOfTurn.get(i).run();
      } catch (Throwable t) {
        log.error("event loop task failed", t);
      }
    }
    endOfTurn.clear();
  }

  private void addTimers() {
    DeadlineQueue.Timer t = addedTimers.getAndSet(null);
    while (t != null) {
      AddedTimer timer = (AddedTimer) t;
      t = timer.nextAdded;
      timer.nextAdded = null;
      if (timer.isLive()) {
        timers.schedule(timer, timer.deadline);
      }
    }
  }

  private void dispatch(SelectionKey key) {
    if (key.attachment() instanceof Handler handler) {
      try {
        handler.onReady(key);
      } catch (Throwable t) {
        fail(handler, t);
      }
    }
  }

  /** Tells a channel's handler that it failed; if even that throws, cuts the channel off. */
  static void fail(Handler handler, Throwable failure) {
    try {
      handler.onFailure(failure);
    } catch (Throwable second) {
      second.addSuppressed(failure);
      log.error("handler {} failed while handling its own failure", handler, second);
    }
  }

  private void runTasks() {
    // bounded, so that tasks queued by tasks cannot starve the selector
    for (int n = tasks.size(); n > 0; n--) {
      Runnable task = tasks.poll();
      if (task == null) {
        return;
      }
      try {
        task.run();
      } catch (Throwable t) {
        log.error("event loop task failed", t);
      }
    }
  }

  private void closeAll() {
    runTasks();
    for (SelectionKey key : new ArrayList<>(selector.keys())) {
      if (key.attachment() instanceof Handler handler) {
        try {
          handler.onLoopStopped();
        } catch (Throwable t) {
          log.debug("closing {} at shutdown", handler, t);
        }
      }
      try {
        key.channel().close();
      } catch (IOException | RuntimeException e) {
        log.debug("closing a channel at shutdown", e);
      }
    }
    try {
      selector.close();
    } catch (IOException e) {
      log.debug("closing the selector", e);
    }
  }
}
