package dev.tether.internal.engine;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default handler executor: a pool that grows like a cached thread pool (a handler may block,
 * and then another thread takes the next connection's work), but whose idle threads first wait a
 * little actively for the next task before they park. In a request/response exchange the next
 * request usually arrives within one round trip; a thread that is still looking for work takes it
 * without the park and unpark — two system calls and a scheduler wake-up — that a plain pool pays
 * for every message. One thread looks at a time, for at most {@link #SPIN_NANOS}, yielding the
 * processor while it does, so an idle pool costs nothing. A submitter that counts on the looking
 * thread claims it, so that it is counted on for one task only: the next submitter needs another
 * thread, and a blocking task never holds back the one after it.
 *
 * <p>Another thread is woken (or started) one at a time: a submitter that finds a thread already
 * woken and not yet arrived leaves its task to that thread; the thread, once it has taken a task,
 * wakes the next one if work is still queued, since its own task may block. A burst of tasks thus
 * wakes threads one after another, only while work waits, instead of one wake-up (a system call and
 * a context switch) per task: under load from 1,000 connections that per-task wake-up cost a third
 * of the server's throughput.
 *
 * <p>Thread safe.
 */
final class HandlerPool implements Executor {
  private static final Logger log = LoggerFactory.getLogger(HandlerPool.class);

  /** How long an idle thread keeps looking for work before it parks. */
  static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

  /** A parked thread that gets no work for this long ends. */
  private static final long KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedDeque<Worker> parked = new ConcurrentLinkedDeque<>();

  /** True while a thread looks for work and no submitter has claimed it. */
  private final AtomicBoolean spinner = new AtomicBoolean();

  /** True from a wake-up (or thread start) until the thread it woke has looked at the queue. */
  private final AtomicBoolean waking = new AtomicBoolean();

  private final AtomicInteger threads = new AtomicInteger();

  /** The threads started and not yet ended, for {@link #awaitTermination}. */
  private final Set<Thread> live = ConcurrentHashMap.newKeySet();

  private final ThreadFactory factory;
  private volatile boolean shutdown;

  HandlerPool(ThreadFactory factory) {
    this.factory = factory;
  }

  @Override
  public void execute(Runnable task) {
    if (shutdown) {
      throw new java.util.concurrent.RejectedExecutionException("the handler pool is shut down");
    }
    tasks.add(task);
    signal();
  }

  /** Makes sure a thread will look at the queue soon: the spinning one, or one woken for it. */
  private void signal() {
    if (spinner.compareAndSet(true, false)) {
      return; // the looking thread is ours: it takes a task
    }
    if (waking.get() || !waking.compareAndSet(false, true)) {
      return; // a thread is on its way; it wakes the next if work is still queued when it arrives
    }
    Worker idle = parked.pollFirst();
    if (idle != null) {
      idle.wake();
    } else if (!shutdown) {
      startWorker();
    } else {
      waking.set(false);
    }
  }

  /**
   * A woken or started thread has looked at the queue: the next wake-up may go. If it took a task
   * and more wait, its task may block, so another thread must come for them.
   */
  private void arrived(boolean tookTask) {
    waking.set(false);
    if (tookTask && !tasks.isEmpty()) {
      signal();
    }
  }

  private void startWorker() {
    Worker worker = new Worker();
    Thread thread = factory.newThread(worker);
    worker.thread = thread;
    threads.incrementAndGet();
    live.add(thread);
    thread.start();
  }

  /** Stops taking tasks; threads end once idle. */
  void shutdown() {
    shutdown = true;
    for (Worker w : parked) {
      w.wake();
    }
  }

  /**
   * Waits, after {@link #shutdown}, up to {@code deadlineNanos} (a {@link System#nanoTime} value)
   * for the threads to end: they end once idle, and a handler still running holds its thread. The
   * calling thread, if it is one of them, is not waited for.
   */
  void awaitTermination(long deadlineNanos) throws InterruptedException {
    for (Thread thread : live) {
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0) {
        return;
      }
      if (thread != Thread.currentThread()) {
        TimeUnit.NANOSECONDS.timedJoin(thread, left);
      }
    }
  }

  int threadCount() {
    return threads.get();
  }

  private final class Worker implements Runnable {
    volatile Thread thread;
    private volatile boolean woken;

    void wake() {
      woken = true;
      LockSupport.unpark(thread);
    }

    @Override
    public void run() {
      try {
        boolean arriving = true; // started by signal(), which counts on it
        while (!shutdown || !tasks.isEmpty()) {
          Runnable task = tasks.poll();
          if (arriving) {
            arriving = false;
            arrived(task != null);
          }
          if (task == null) {
            task = spinForTask();
          }
          if (task == null && (task = parkForTask()) == null) {
            return; // idle too long
          }
          try {
            task.run();
          } catch (Throwable t) {
            // the mailbox catches handlers' failures itself
            log.error("handler task failed", Throwables.loggable(t));
          }
          if (Thread.interrupted()) {
            // left by the task's handler: the next task, another connection's, must not see it
            log.debug("a handler task interrupted its pool thread; the interrupt is cleared");
          }
        }
      } finally {
        threads.decrementAndGet();
        live.remove(Thread.currentThread());
      }
    }

    /** Looks for a task for a short while, yielding the processor between looks. */
    private Runnable spinForTask() {
      if (!spinner.compareAndSet(false, true)) {
        return null; // another thread is looking
      }
      long deadline = System.nanoTime() + SPIN_NANOS;
      for (int i = 0; ; i++) {
        Runnable task = tasks.poll();
        if (task != null) {
          if (!spinner.compareAndSet(true, false) && !tasks.isEmpty()) {
            // a submitter claimed this thread after it had found a task, another one: the
            // submitter's task needs a thread of its own, as this task may block
            signal();
          }
          return task;
        }
        if (System.nanoTime() - deadline > 0) {
          // claimed or not: parking looks at the queue once more after the thread is visible
          spinner.compareAndSet(true, false);
          return null;
        }
        if (i < 64) {
          Thread.onSpinWait();
        } else {
          Thread.yield(); // let the threads that produce work run, on a busy machine
        }
      }
    }

    /**
     * Parks until a submitter wakes this thread for work and returns a task, or returns null once
     * the thread has been idle for the keep-alive time or the pool is shut down with nothing
     * queued.
     */
    private Runnable parkForTask() {
      while (true) {
        woken = false;
        parked.addFirst(this);
        Runnable task = tasks.poll(); // a task added before we were visible as parked
        if (task != null) {
          if (!parked.remove(this)) {
            // a submitter took this thread off the list and is waking it: it counts on it
            awaitWake();
            arrived(true);
          }
          return task;
        }
        long start = System.nanoTime();
        while (!woken && !shutdown && System.nanoTime() - start < KEEP_ALIVE_NANOS) {
          LockSupport.parkNanos(this, KEEP_ALIVE_NANOS);
        }
        if (!woken && parked.remove(this)) {
          return tasks.poll(); // idle too long, or shut down; nobody counts on this thread
        }
        // woken, or taken off the list by a submitter whose wake-up is on its way
        awaitWake();
        task = tasks.poll();
        arrived(task != null);
        if (task != null) {
          return task;
        }
        if (shutdown) {
          return null;
        }
      }
    }

    private void awaitWake() {
      while (!woken) {
        Thread.onSpinWait(); // the submitter that took this thread off the list wakes it next
      }
    }
  }
}
