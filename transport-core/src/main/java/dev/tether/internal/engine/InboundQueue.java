package dev.tether.internal.engine;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Received items waiting for the handler or for {@code receive}: a growable ring of items with
 * their sizes in bytes. The event loop offers; one consumer at a time polls. {@link #isFull()}
 * tells the loop to stop reading from the socket; the consumer calls {@code onRoom} once the queue
 * has fallen to half of its limits, so that reading resumes.
 */
final class InboundQueue {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  private final int maxMessages;
  private final long maxBytes;
  private final Runnable onRoom;
  private Object[] items = new Object[16];
  private int[] sizes = new int[16];
  private int head;
  private int count;
  private long bytes;
  private boolean full;
  private int waiters;

  InboundQueue(int maxMessages, long maxBytes, Runnable onRoom) {
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
    this.onRoom = onRoom;
  }

  /** Adds an item; returns false if the queue is now at or over a limit. */
  boolean offer(Object item, int size) {
    lock.lock();
    try {
      if (count == items.length) {
        grow();
      }
      int tail = (head + count) % items.length;
      items[tail] = item;
      sizes[tail] = size;
      count++;
      bytes += size;
      if (count >= maxMessages || bytes >= maxBytes) {
        full = true;
      }
      if (waiters > 0) {
        notEmpty.signal();
      }
      return !full;
    } finally {
      lock.unlock();
    }
  }

  boolean isFull() {
    lock.lock();
    try {
      return full;
    } finally {
      lock.unlock();
    }
  }

  /** Takes the oldest item, or returns null if there is none. */
  Object poll() {
    boolean room;
    Object item;
    lock.lock();
    try {
      if (count == 0) {
        return null;
      }
      item = take();
      room = full && count <= maxMessages / 2 && bytes <= maxBytes / 2;
      if (room) {
        full = false;
      }
    } finally {
      lock.unlock();
    }
    if (room) {
      onRoom.run();
    }
    return item;
  }

  /**
   * Moves up to {@code into.length} of the oldest items into {@code into}, under one lock, and
   * returns how many; the dispatcher delivers in batches so that the event loop's offers and the
   * consumer rarely contend for the lock.
   */
  int drain(Object[] into) {
    boolean room;
    int n;
    lock.lock();
    try {
      n = Math.min(count, into.length);
      for (int i = 0; i < n; i++) {
        into[i] = take();
      }
      room = full && count <= maxMessages / 2 && bytes <= maxBytes / 2;
      if (room) {
        full = false;
      }
    } finally {
      lock.unlock();
    }
    if (room) {
      onRoom.run();
    }
    return n;
  }

  /**
   * Takes the oldest item, waiting up to {@code timeoutNanos}; null if none arrived or if stopped.
   */
  Object poll(long timeoutNanos, java.util.function.BooleanSupplier stop)
      throws InterruptedException {
    lock.lock();
    try {
      while (count == 0) {
        if (timeoutNanos <= 0 || stop.getAsBoolean()) {
          return null;
        }
        waiters++;
        try {
          timeoutNanos = notEmpty.awaitNanos(timeoutNanos);
        } finally {
          waiters--;
        }
      }
    } finally {
      lock.unlock();
    }
    return poll();
  }

  /**
   * Wakes consumers waiting in {@link #poll(long, java.util.function.BooleanSupplier)}; call after
   * making their stop condition true.
   */
  void wakeAll() {
    lock.lock();
    try {
      notEmpty.signalAll();
    } finally {
      lock.unlock();
    }
  }

  int size() {
    lock.lock();
    try {
      return count;
    } finally {
      lock.unlock();
    }
  }

  boolean isEmpty() {
    return size() == 0;
  }

  private Object take() {
    Object item = items[head];
    items[head] = null;
    bytes -= sizes[head];
    head = (head + 1) % items.length;
    count--;
    return item;
  }

  private void grow() {
    Object[] biggerItems = new Object[items.length * 2];
    int[] biggerSizes = new int[sizes.length * 2];
    for (int i = 0; i < count; i++) {
      int from = (head + i) % items.length;
      biggerItems[i] = items[from];
      biggerSizes[i] = sizes[from];
    }
    items = biggerItems;
    sizes = biggerSizes;
    head = 0;
  }
}
