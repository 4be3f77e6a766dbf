package dev.tether.internal.engine;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
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
 * for every message. At most {@link #MAX_SPINNERS} threads look at a time, each for at most {@link
 * #SPIN_NANOS}, yielding the processor while they do, so an idle pool costs nothing.
 *
 * <p>Thread safe.
 */
final class HandlerPool implements Executor {
  private static final Logger log = LoggerFactory.getLogger(HandlerPool.class);

  /** How long an idle thread keeps looking for work before it parks. */
  static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

  /** Threads that may look for work at once; the others park at once. */
  private static final int MAX_SPINNERS = 1;

  /** A parked thread that gets no work for this long ends. */
  private static final long KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedDeque<Worker> parked = new ConcurrentLinkedDeque<>();
  private final AtomicInteger spinners = new AtomicInteger();
  private final AtomicInteger threads = new AtomicInteger();
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
    signalWork();
  }

  /**
   * Makes sure a thread will look at the queue: a spinning one will; else a parked one is woken, or
   * a new one started. A worker that takes a task and sees more queued signals again, so that a
   * spinner which found one of several tasks (and may block in it) never leaves the others waiting.
   */
  private void signalWork() {
    if (spinners.get() > 0) {
      return; // a thread looking for work will find it
    }
    Worker idle = parked.pollFirst();
    if (idle != null) {
      idle.wake();
    } else if (!shutdown) {
      startWorker();
    }
  }

  private void startWorker() {
    Worker worker = new Worker();
    Thread thread = factory.newThread(worker);
    worker.thread = thread;
    threads.incrementAndGet();
    thread.start();
  }

  /** Stops taking tasks; threads end once idle. */
  void shutdown() {
    shutdown = true;
    for (Worker w : parked) {
      w.wake();
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
        while (!shutdown || !tasks.isEmpty()) {
          Runnable task = tasks.poll();
          if (task == null) {
            task = spinForTask();
          }
          if (task == null && (task = parkForTask()) == null) {
            return; // idle too long
          }
          if (!tasks.isEmpty()) {
            signalWork(); // this task may block: another thread takes the next
          }
          try {
            task.run();
          } catch (Throwable t) {
            log.error("handler task failed", t); // the mailbox catches handlers' failures itself
          }
        }
      } finally {
        threads.decrementAndGet();
      }
    }

    /** Looks for a task for a short while, yielding the processor between looks. */
    private Runnable spinForTask() {
      if (spinners.incrementAndGet() > MAX_SPINNERS) {
        spinners.decrementAndGet();
        return null;
      }
      try {
        long deadline = System.nanoTime() + SPIN_NANOS;
        for (int i = 0; ; i++) {
          Runnable task = tasks.poll();
          if (task != null || System.nanoTime() - deadline > 0) {
            return task;
          }
          if (i < 64) {
            Thread.onSpinWait();
          } else {
            Thread.yield(); // let the threads that produce work run, on a busy machine
          }
        }
      } finally {
        spinners.decrementAndGet();
      }
    }

    /** Parks until woken with work, or returns null after the keep-alive time. */
    private Runnable parkForTask() {
      while (true) {
        woken = false;
        parked.addFirst(this);
        Runnable task = tasks.poll(); // a task added before we were visible as parked
        if (task != null) {
          parked.remove(this);
          return task;
        }
        long start = System.nanoTime();
        while (!woken && !shutdown && System.nanoTime() - start < KEEP_ALIVE_NANOS) {
          LockSupport.parkNanos(this, KEEP_ALIVE_NANOS);
        }
        if (!woken) {
          parked.remove(this);
          Runnable last = tasks.poll();
          if (last != null || shutdown) {
            return last;
          }
          return null;
        }
        task = tasks.poll();
        if (task != null) {
          return task;
        }
        if (shutdown) {
          return null;
        }
      }
    }
  }
}
