package dev.tether.internal.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread with one {@link Selector}, serving many channels. Other threads hand it work with
 * {@link #execute}; the selector is woken only if it may be sleeping. Timers are not a heap but a
 * scan of the registered {@link Ticker}s at the earliest deadline any of them asked for, which
 * allocates nothing and costs little for thousands of connections.
 */
public final class EventLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(EventLoop.class);

  /** Bytes moved per socket read; also bounds what a paused connection holds back. */
  static final int READ_BUFFER_BYTES = 64 * 1024;

  /** Bytes copied from an outbound ring into one socket write. */
  static final int WRITE_BUFFER_BYTES = 256 * 1024;

  /** Reacts to readiness of its channel; the selection key's attachment. */
  interface Handler {
    void onReady(SelectionKey key);
  }

  /** Something with deadlines, checked when the earliest of them is due. */
  interface Ticker {
    /** Acts on whatever is due and returns the next deadline in nanoTime, or Long.MAX_VALUE. */
    long tick(long now);
  }

  private final Selector selector;
  private final Thread thread;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private final List<Ticker> tickers = new ArrayList<>();
  private long nextDeadline = Long.MAX_VALUE;

  /** Shared by every connection of this loop; only touched on the loop thread. */
  final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER_BYTES);

  final ByteBuffer writeBuffer = ByteBuffer.allocateDirect(WRITE_BUFFER_BYTES);

  EventLoop(String name) {
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a selector", e);
    }
    thread = new Thread(this, name);
    thread.setDaemon(true);
    thread.start();
  }

  Selector selector() {
    return selector;
  }

  boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /** Runs {@code task} on the loop thread, soon. */
  void execute(Runnable task) {
    tasks.add(task);
    if (!inLoop() && wakeupPending.compareAndSet(false, true)) {
      selector.wakeup();
    }
  }

  /** Adds a ticker; loop thread only. */
  void addTicker(Ticker ticker) {
    tickers.add(ticker);
    nextDeadline = Long.MIN_VALUE;
  }

  /** Removes a ticker; loop thread only. */
  void removeTicker(Ticker ticker) {
    tickers.remove(ticker);
  }

  /** Makes the loop check its tickers no later than {@code deadline}; loop thread only. */
  void scheduleTick(long deadline) {
    if (deadline < nextDeadline) {
      nextDeadline = deadline;
    }
  }

  @Override
  public void run() {
    while (true) {
      try {
        long timeoutMillis = 0;
        if (tasks.isEmpty()) {
          long now = System.nanoTime();
          if (nextDeadline == Long.MAX_VALUE) {
            timeoutMillis = 0; // select() without timeout
          } else {
            timeoutMillis = Math.max(1, (nextDeadline - now + 999_999) / 1_000_000);
          }
          if (nextDeadline != Long.MAX_VALUE && nextDeadline <= now) {
            selector.selectNow(this::dispatch);
          } else {
            selector.select(this::dispatch, timeoutMillis);
          }
        } else {
          selector.selectNow(this::dispatch);
        }
        wakeupPending.set(false);
        runTasks();
        long now = System.nanoTime();
        if (now >= nextDeadline) {
          runTickers(now);
        }
      } catch (Throwable t) {
        log.error("event loop {} caught an unexpected error; continuing", thread.getName(), t);
      }
    }
  }

  private void dispatch(SelectionKey key) {
    Object attachment = key.attachment();
    if (attachment instanceof Handler handler) {
      try {
        handler.onReady(key);
      } catch (RuntimeException e) {
        log.error("channel handler failed", e);
      }
    }
  }

  private void runTasks() {
    Runnable task;
    while ((task = tasks.poll()) != null) {
      try {
        task.run();
      } catch (RuntimeException e) {
        log.error("event loop task failed", e);
      }
    }
  }

  private void runTickers(long now) {
    long next = Long.MAX_VALUE;
    for (int i = tickers.size() - 1; i >= 0; i--) {
      if (i >= tickers.size()) {
        continue; // a ticker removed others
      }
      next = Math.min(next, tickers.get(i).tick(now));
    }
    nextDeadline = next;
  }
}
