package dev.tether.internal.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A connection's outbound queue: a ring of encoded frames, bounded in bytes. Senders append whole
 * frames under a lock, so frames never interleave; the event loop copies a run of bytes out, writes
 * it, and then consumes what the socket took. Nothing is allocated per frame; the ring grows up to
 * the largest burst and shrinks when idle.
 *
 * <p>The byte limit is soft in one way: a frame larger than the limit is accepted when the queue is
 * empty, so that any frame the peer accepts can be sent.
 */
final class OutboundBuffer {
  static final int ACCEPTED = 0;
  static final int BACK_PRESSURED = 1;
  static final int CLOSED = 2;

  /** The ring starts empty, so idle connections hold no buffer; it grows from this size. */
  private static final int INITIAL_CAPACITY = 16 * 1024;

  private static final byte[] EMPTY = new byte[0];

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notFull = lock.newCondition();
  private final int limit;
  private byte[] ring = EMPTY;
  private int head;
  private int size;
  private int waiters;
  private boolean closed;
  private boolean discarded;

  OutboundBuffer(int limit) {
    this.limit = limit;
  }

  /**
   * Appends one frame, waiting up to {@code waitNanos} for room.
   *
   * @return {@link #ACCEPTED}, {@link #BACK_PRESSURED} or {@link #CLOSED}
   */
  int append(byte[] frame, int length, long waitNanos) throws InterruptedException {
    lock.lock();
    try {
      while (!closed && size > 0 && (long) size + length > limit) {
        if (waitNanos <= 0) {
          return BACK_PRESSURED;
        }
        waiters++;
        try {
          waitNanos = notFull.awaitNanos(waitNanos);
        } finally {
          waiters--;
        }
      }
      if (closed) {
        return CLOSED;
      }
      put(frame, length);
      return ACCEPTED;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Writes a frame straight to {@code channel} if nothing is queued, so that an isolated send needs
   * no event-loop wake-up. Whatever the socket does not take is queued ahead of any later frame.
   * The lock is held across the (non-blocking) write, so no frame can slip in between.
   *
   * @return the bytes written, or -1 if the queue was not empty or is closed (nothing done)
   */
  int writeDirect(byte[] frame, int length, WritableByteChannel channel) throws IOException {
    lock.lock();
    try {
      if (size != 0 || closed) {
        return -1;
      }
      int written = channel.write(ByteBuffer.wrap(frame, 0, length));
      if (written < length) {
        int rest = length - written;
        if (rest > ring.length) {
          grow(rest);
        }
        System.arraycopy(frame, written, ring, 0, rest);
        head = 0;
        size = rest;
      }
      return written;
    } finally {
      lock.unlock();
    }
  }

  /** Appends a control frame whatever the limit, unless the queue is closed; returns false then. */
  boolean appendControl(byte[] frame) {
    lock.lock();
    try {
      if (closed) {
        return false;
      }
      put(frame, frame.length);
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Appends the last frame (GOAWAY) and closes the queue to every later append. Returns false if it
   * was already closed.
   */
  boolean appendFinal(byte[] frame) {
    lock.lock();
    try {
      if (closed) {
        return false;
      }
      put(frame, frame.length);
      closed = true;
      notFull.signalAll();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Closes the queue and drops what it holds; waiting senders see {@link #CLOSED}. */
  void discard() {
    lock.lock();
    try {
      closed = true;
      discarded = true;
      size = 0;
      head = 0;
      ring = EMPTY;
      notFull.signalAll();
    } finally {
      lock.unlock();
    }
  }

  boolean isClosed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  private void put(byte[] frame, int length) {
    if (discarded) {
      return;
    }
    if (size + length > ring.length) {
      grow(size + length);
    }
    if (length == 0) {
      return;
    }
    int tail = (head + size) % ring.length;
    int first = Math.min(length, ring.length - tail);
    System.arraycopy(frame, 0, ring, tail, first);
    if (first < length) {
      System.arraycopy(frame, first, ring, 0, length - first);
    }
    size += length;
  }

  private void grow(int needed) {
    byte[] bigger = new byte[Math.max(needed, Math.max(INITIAL_CAPACITY, ring.length * 2))];
    copyOut(bigger, 0, size);
    ring = bigger;
    head = 0;
  }

  private void copyOut(byte[] dst, int offset, int length) {
    int first = Math.min(length, ring.length - head);
    System.arraycopy(ring, head, dst, offset, first);
    if (first < length) {
      System.arraycopy(ring, 0, dst, offset + first, length - first);
    }
  }

  /** Copies queued bytes, from the oldest, into {@code dst} without consuming them. */
  int peek(ByteBuffer dst) {
    lock.lock();
    try {
      int n = Math.min(size, dst.remaining());
      int first = Math.min(n, ring.length - head);
      dst.put(ring, head, first);
      if (first < n) {
        dst.put(ring, 0, n - first);
      }
      return n;
    } finally {
      lock.unlock();
    }
  }

  /** Drops the {@code n} oldest bytes, which the socket has taken, and wakes waiting senders. */
  void consume(int n) {
    lock.lock();
    try {
      if (discarded) {
        return;
      }
      size -= n;
      head = size == 0 ? 0 : (head + n) % ring.length;
      if (waiters > 0) {
        notFull.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  int size() {
    lock.lock();
    try {
      return size;
    } finally {
      lock.unlock();
    }
  }

  /** Gives back memory after a burst, if the queue is empty. */
  void trim() {
    lock.lock();
    try {
      if (size == 0 && ring.length > 0) {
        ring = EMPTY;
        head = 0;
      }
    } finally {
      lock.unlock();
    }
  }

  static long nanos(java.time.Duration d) {
    return TimeUnit.NANOSECONDS.convert(d);
  }
}
