package dev.tether.internal.engine;

import dev.tether.internal.wire.FrameDecoder;
import dev.tether.internal.wire.Frames;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The memory a runtime's connections together may hold for large message frames they send (over
 * {@link FrameDecoder#ADMIT_ABOVE} bytes, as for receiving): queued to be written, waiting for room
 * ({@code sendAsync}), or written and kept for replay until the peer acknowledges them; and for the
 * small frames a connection holds past its {@link OutboundBuffer#ALLOWANCE}, which its {@link
 * OutboundBuffer} takes in {@link OutboundBuffer#CHUNK}s and gives back as they leave. Each
 * connection's outbound bound holds for one connection and lets one frame larger than itself in; a
 * server whose sixty clients are each answered with a 12 MB message would otherwise queue 720 MB.
 *
 * <p>A sender that may wait takes its frame's bytes before the frame is queued, in the order the
 * senders came, and waits (up to its send timeout without any memory given back) while nothing is
 * free; one that never waits ({@code trySend}, {@code sendAsync}) is refused; event loops and
 * frames the transport owes are counted without waiting. The {@link OutboundBuffer} that holds the
 * frame gives its bytes back when the frame leaves it. As for receiving, a frame is let in whenever
 * anything at all is free, so a frame larger than the capacity still goes out.
 *
 * <p>Separate from {@link ReceiveMemory}: a handler holding a received large message may wait here
 * to answer it, and what it waits for (bytes written to a peer) never waits for received memory.
 *
 * <p>Thread safe. Only large frames, and a chunk of small ones, take the lock, so a lock costs
 * nothing measurable. An {@link OutboundBuffer} may call in with its own lock held, never the other
 * way round.
 */
public final class SendMemory {
  private final long capacity;
  private long used;
  private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();

  /** {@link #looksFull}: nothing free, or a sender waits; written under the lock. */
  private volatile boolean full;

  /** What runs once the memory no longer looks full ({@link #whenFree}); null if nothing. */
  private List<Runnable> onFree;

  /** When memory was last given back, in nanoTime: a waiting sender's progress. */
  private long lastReleaseNanos = System.nanoTime();

  /**
   * @param capacity the bytes that may be taken at once, at least 1
   */
  public SendMemory(long capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("the capacity must be at least 1 byte, not " + capacity);
    }
    this.capacity = capacity;
  }

  /** As {@link ReceiveMemory#defaultCapacity()}: an eighth of the most heap this JVM may use. */
  public static long defaultCapacity() {
    return ReceiveMemory.defaultCapacity();
  }

  /**
   * Returns the bytes that a whole frame of {@code wholeLength} bytes (header included) takes: all
   * of them if it is large, else 0.
   */
  static long charge(int wholeLength) {
    return wholeLength - (Frames.HEADER_BYTES - 1) > FrameDecoder.ADMIT_ABOVE ? wholeLength : 0;
  }

  public long capacity() {
    return capacity;
  }

  /** Returns the bytes taken now. */
  public synchronized long used() {
    return used;
  }

  /** Returns how many senders wait. */
  synchronized int waiting() {
    return waiting.size();
  }

  /** Counts {@code bytes} whatever is free: for threads that must never wait. */
  synchronized void force(long bytes) {
    used += bytes;
    updateFull();
  }

  /** Takes {@code bytes} if anything is free and no sender waits; returns false otherwise. */
  synchronized boolean tryTake(long bytes) {
    if (waiting.isEmpty() && used < capacity) {
      used += bytes;
      updateFull();
      return true;
    }
    return false;
  }

  /**
   * Returns true if a moment ago nothing was free or a sender waited, so that {@link #tryTake}
   * would have refused: read without the lock, for {@link OutboundBuffer#isWritable}.
   */
  boolean looksFull() {
    return full;
  }

  /**
   * Runs {@code task} once this memory no longer {@link #looksFull looks full}: at once, on this
   * thread, if it does not now, else on the thread that frees it, with this memory's lock held, so
   * the task only hands work on (a connection waiting to be writable looks again on its loop).
   */
  void whenFree(Runnable task) {
    synchronized (this) {
      if (full) {
        if (onFree == null) {
          onFree = new ArrayList<>();
        }
        onFree.add(task);
        return;
      }
    }
    task.run();
  }

  private void updateFull() {
    boolean now = used >= capacity || !waiting.isEmpty();
    if (now != full) {
      full = now;
      if (!now && onFree != null) {
        List<Runnable> tasks = onFree;
        onFree = null;
        for (Runnable task : tasks) {
          task.run();
        }
      }
    }
  }

  /**
   * Takes {@code bytes}, after the senders already waiting; waits while nothing is free, for up to
   * {@code waitNanos} without any memory given back, or until {@code stop} says the sender's
   * connection has closed ({@link #wakeAll} makes waiters look).
   *
   * @param stop read with this memory's lock held: must take no lock
   * @return true if taken, false if the time ran out or {@code stop} said so
   * @throws InterruptedException if interrupted while waiting (nothing is taken then)
   */
  boolean take(long bytes, long waitNanos, BooleanSupplier stop) throws InterruptedException {
    if (tryTake(bytes)) {
      return true;
    }
    EventLoop.beforeWaiting(); // a handler running on a loop hands the loop on first
    if (EventLoop.onAnyLoop()) {
      force(bytes); // still a loop (handlers that always run on it): a loop never waits
      return true;
    }
    synchronized (this) {
      if (tryTake(bytes)) {
        return true;
      }
      Waiter me = new Waiter(bytes);
      waiting.add(me);
      updateFull();
      long start = System.nanoTime();
      try {
        while (!me.granted && !stop.getAsBoolean()) {
          long since = lastReleaseNanos - start > 0 ? lastReleaseNanos : start;
          long left = Deadlines.after(since, waitNanos) - System.nanoTime();
          if (left <= 0) {
            break;
          }
          TimeUnit.NANOSECONDS.timedWait(this, left);
        }
      } catch (InterruptedException e) {
        if (me.granted) {
          release(bytes); // granted as the interrupt came: the sender gives up all the same
        }
        throw e;
      } finally {
        if (!me.granted) {
          waiting.remove(me);
          grant(); // the sender behind may fit now that this one leaves
          updateFull();
        }
      }
      return me.granted;
    }
  }

  /** Makes waiting senders look whether their connection has closed. */
  synchronized void wakeAll() {
    if (!waiting.isEmpty()) {
      notifyAll();
    }
  }

  /** Gives back {@code bytes} (0 is nothing) and lets the waiting senders in, in order. */
  void release(long bytes) {
    if (bytes == 0) {
      return; // without the lock: senders of small frames pass here
    }
    synchronized (this) {
      used -= bytes;
      assert used >= 0 : "released more than was taken";
      lastReleaseNanos = System.nanoTime();
      grant();
      updateFull();
    }
  }

  /** Changes what is taken by {@code delta}, which may be either sign. */
  void adjust(long delta) {
    if (delta > 0) {
      force(delta);
    } else {
      release(-delta);
    }
  }

  private void grant() {
    boolean any = false;
    while (!waiting.isEmpty() && used < capacity) {
      Waiter next = waiting.poll();
      used += next.bytes;
      next.granted = true;
      any = true;
    }
    if (any) {
      notifyAll();
    }
  }

  /** A sender waiting for memory; fields guarded by the {@link SendMemory}. */
  private static final class Waiter {
    final long bytes;
    boolean granted;

    Waiter(long bytes) {
      this.bytes = bytes;
    }
  }
}
