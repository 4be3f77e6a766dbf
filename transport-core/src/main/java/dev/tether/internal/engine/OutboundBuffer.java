package dev.tether.internal.engine;

import dev.tether.internal.wire.FrameType;
import dev.tether.internal.wire.Frames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A connection's outbound queue: a ring of whole encoded frames, bounded in bytes, that every frame
 * the connection writes passes through (or, when the ring is empty, bypasses with a direct write).
 * Senders append under a lock, so frames never interleave; the event loop copies bytes out, writes
 * them, and then {@link #consume}s what the socket took.
 *
 * <p>How an append treats the bound depends on who appends ({@link Mode}): an application thread
 * waits for room, and gives up only after the send timeout has passed <em>without progress</em> (no
 * byte written), so that a slow but steady peer never times a sender out; an event-loop thread
 * never waits; frames the transport owes the peer (PONG, error responses) are always accepted, and
 * the connection stops reading while the queue is over its bound, so a peer that never reads cannot
 * make it grow. Whatever the mode, the queue holds at most about twice its bound plus one read's
 * worth of control frames.
 *
 * <p>The queue counts the message frames (DATA, REQUEST, RESPONSE) it holds, by walking frame
 * headers as bytes are consumed, so that a close that gives up can say how many accepted messages
 * were never written.
 *
 * <p>Thread safe. The ring is allocated on first use and released when idle.
 */
final class OutboundBuffer {
  static final int ACCEPTED = 0;
  static final int BACK_PRESSURED = 1;
  static final int CLOSED = 2;

  /** Who appends, and so how the bound applies. */
  enum Mode {
    /** An application thread: waits for room up to the given time without progress. */
    WAIT,
    /** {@code trySend}: never waits; back-pressured when there is no room. */
    NO_WAIT,
    /** An event-loop thread: never waits; accepted up to twice the bound. */
    LOOP,
    /** Frames the transport owes: accepted whatever the bound, unless closed. */
    FORCE
  }

  private static final int INITIAL_CAPACITY = 16 * 1024;
  private static final byte[] EMPTY = new byte[0];

  /** A {@code sendAsync} frame waiting for room, in order. */
  private record PendingSend(byte[] frame, CompletableFuture<Void> accepted) {}

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notFull = lock.newCondition();
  private final int limit;
  private byte[] ring = EMPTY;
  private int head;
  private int size;
  private int waiters;
  private boolean closed;
  private boolean discarded;
  private long lastProgressNanos = System.nanoTime();

  /** Bytes of the frame at the head still to be consumed; 0 at a frame boundary. */
  private int headFrameRemaining;

  private boolean headFrameIsMessage;
  private int queuedMessages;

  private final ArrayDeque<PendingSend> pendingSends = new ArrayDeque<>(0);
  private long pendingBytes;

  private final Supplier<? extends RuntimeException> closedCause;

  /**
   * @param limit the bound in bytes
   * @param closedCause makes the exception that refused {@code sendAsync} frames fail with
   */
  OutboundBuffer(int limit, Supplier<? extends RuntimeException> closedCause) {
    this.limit = limit;
    this.closedCause = closedCause;
  }

  /**
   * Appends one whole frame.
   *
   * @param waitNanos for {@link Mode#WAIT}: how long to wait without progress
   * @return {@link #ACCEPTED}, {@link #BACK_PRESSURED} or {@link #CLOSED}
   * @throws InterruptedException if interrupted while waiting
   */
  int append(byte[] frame, int length, Mode mode, long waitNanos) throws InterruptedException {
    lock.lock();
    try {
      if (closed) {
        return CLOSED;
      }
      switch (mode) {
        case FORCE -> {
          put(frame, length);
          return ACCEPTED;
        }
        case LOOP -> {
          if (size != 0 && (long) size + length > 2L * limit) {
            return BACK_PRESSURED;
          }
        }
        case NO_WAIT -> {
          if (!hasRoom(length)) {
            return BACK_PRESSURED;
          }
        }
        case WAIT -> {
          long start = System.nanoTime();
          while (!hasRoom(length)) {
            long since = lastProgressNanos - start > 0 ? lastProgressNanos : start;
            long left = Deadlines.after(since, waitNanos) - System.nanoTime();
            if (left <= 0) {
              return BACK_PRESSURED;
            }
            waiters++;
            try {
              notFull.awaitNanos(left);
            } finally {
              waiters--;
            }
            if (closed) {
              return CLOSED;
            }
          }
        }
      }
      put(frame, length);
      return ACCEPTED;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Appends a frame if there is room, or else keeps it, in order, until there is; the future
   * completes once the frame is in the queue and fails with {@link #CLOSED} semantics if the queue
   * closes first. Frames kept waiting are bounded by the same limit as the queue.
   *
   * @return {@link #ACCEPTED} (possibly still waiting), {@link #BACK_PRESSURED} if even the waiting
   *     room is full, or {@link #CLOSED}
   */
  int appendAsync(byte[] frame, int length, CompletableFuture<Void> accepted) {
    lock.lock();
    try {
      if (closed) {
        return CLOSED;
      }
      if (hasRoom(length)) {
        put(frame, length);
      } else if (pendingBytes + length <= limit || pendingSends.isEmpty()) {
        byte[] copy = java.util.Arrays.copyOf(frame, length);
        pendingSends.add(new PendingSend(copy, accepted));
        pendingBytes += length;
        return ACCEPTED;
      } else {
        return BACK_PRESSURED;
      }
    } finally {
      lock.unlock();
    }
    accepted.complete(null);
    return ACCEPTED;
  }

  /** Appends the raw preamble, which is no frame; only while the queue is empty. */
  boolean appendPreamble(byte[] preamble) {
    lock.lock();
    try {
      if (closed || size != 0) {
        return false;
      }
      put(preamble, preamble.length);
      headFrameRemaining = preamble.length;
      headFrameIsMessage = false;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Appends the last frame (GOAWAY) and closes the queue to every later append; frames still
   * waiting in {@link #appendAsync} are refused. Returns false if it was already closed.
   */
  boolean appendFinal(byte[] frame) {
    List<CompletableFuture<Void>> refused;
    lock.lock();
    try {
      if (closed) {
        return false;
      }
      put(frame, frame.length);
      closed = true;
      notFull.signalAll();
      refused = takePending();
    } finally {
      lock.unlock();
    }
    refuse(refused);
    return true;
  }

  /**
   * Writes a frame straight to {@code channel} if nothing is queued, so that an isolated send needs
   * no event-loop wake-up. Whatever the socket does not take is queued ahead of any later frame.
   * The lock is held across the non-blocking write, so no frame can slip in between.
   *
   * @param frame one whole frame between position and limit; consumed by the call
   * @return the bytes written, or -1 if nothing was done (frames queued, or closed)
   */
  int writeDirect(ByteBuffer frame, WritableByteChannel channel) throws IOException {
    lock.lock();
    try {
      if (size != 0 || closed || !pendingSends.isEmpty()) {
        return -1;
      }
      boolean message = isMessage(frame.get(frame.position() + Frames.HEADER_BYTES - 1));
      int length = frame.remaining();
      int written = channel.write(frame);
      if (written > 0) {
        lastProgressNanos = System.nanoTime();
      }
      if (written < length) {
        int rest = frame.remaining();
        if (rest > ring.length) {
          grow(rest);
        }
        frame.get(ring, 0, rest);
        head = 0;
        size = rest;
        headFrameRemaining = rest;
        headFrameIsMessage = message;
        if (message) {
          queuedMessages++;
        }
      }
      return written;
    } finally {
      lock.unlock();
    }
  }

  /** Copies queued bytes, oldest first, into {@code dst} without consuming them. */
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

  /**
   * Drops the {@code n} oldest bytes, which the socket has taken, moves waiting {@code sendAsync}
   * frames in while there is room, and wakes waiting senders.
   *
   * @return true if the queue went from over its bound to under it
   */
  boolean consume(int n) {
    List<CompletableFuture<Void>> accepted = null;
    boolean writable;
    lock.lock();
    try {
      if (discarded || n == 0) {
        return false;
      }
      boolean wasFull = size >= limit || !pendingSends.isEmpty();
      advance(n);
      lastProgressNanos = System.nanoTime();
      while (!pendingSends.isEmpty() && fits(pendingSends.peek().frame().length)) {
        PendingSend next = pendingSends.poll();
        pendingBytes -= next.frame().length;
        put(next.frame(), next.frame().length);
        if (accepted == null) {
          accepted = new ArrayList<>();
        }
        accepted.add(next.accepted());
      }
      if (waiters > 0) {
        notFull.signalAll();
      }
      writable = wasFull && size < limit && pendingSends.isEmpty();
    } finally {
      lock.unlock();
    }
    if (accepted != null) {
      for (CompletableFuture<Void> f : accepted) {
        f.complete(null);
      }
    }
    return writable;
  }

  /**
   * Closes the queue and drops what it holds; waiting senders see {@link #CLOSED}.
   *
   * @return how many accepted messages were dropped without being wholly written
   */
  int discard() {
    List<CompletableFuture<Void>> refused;
    int unsent;
    lock.lock();
    try {
      unsent = queuedMessages + pendingSends.size();
      closed = true;
      discarded = true;
      size = 0;
      head = 0;
      ring = EMPTY;
      queuedMessages = 0;
      notFull.signalAll();
      refused = takePending();
    } finally {
      lock.unlock();
    }
    refuse(refused);
    return unsent;
  }

  boolean isClosed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  /** Returns true while the queue is under its bound and no {@code sendAsync} frame waits. */
  boolean isWritable() {
    lock.lock();
    try {
      return size < limit && pendingSends.isEmpty();
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

  /** Returns the accepted messages not yet wholly written, those waiting for room included. */
  int queuedMessages() {
    lock.lock();
    try {
      return queuedMessages + pendingSends.size();
    } finally {
      lock.unlock();
    }
  }

  /** Returns when the socket last took bytes from this queue, in nanoTime. */
  long lastProgressNanos() {
    lock.lock();
    try {
      return lastProgressNanos;
    } finally {
      lock.unlock();
    }
  }

  /** Gives the ring's memory back if the queue is empty. */
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

  /** Returns true if a frame of {@code length} may be appended now, behind no waiting send. */
  private boolean hasRoom(int length) {
    return pendingSends.isEmpty() && fits(length);
  }

  private boolean fits(int length) {
    return size == 0 || (long) size + length <= limit;
  }

  private static boolean isMessage(byte type) {
    return type == FrameType.DATA || type == FrameType.REQUEST || type == FrameType.RESPONSE;
  }

  private void put(byte[] frame, int length) {
    if (isMessage(frame[Frames.HEADER_BYTES - 1])) {
      queuedMessages++;
    }
    put(frame, 0, length);
  }

  private void put(byte[] src, int offset, int length) {
    if (discarded || length == 0) {
      return;
    }
    if (size + length > ring.length) {
      grow(size + length);
    }
    int tail = (head + size) % ring.length;
    int first = Math.min(length, ring.length - tail);
    System.arraycopy(src, offset, ring, tail, first);
    if (first < length) {
      System.arraycopy(src, offset + first, ring, 0, length - first);
    }
    size += length;
  }

  /** Consumes {@code n} bytes from the head, counting the message frames that end within them. */
  private void advance(int n) {
    while (n > 0) {
      if (headFrameRemaining == 0) {
        headFrameRemaining = Frames.HEADER_BYTES - 1 + readIntAt(head);
        headFrameIsMessage = isMessage(ring[(head + Frames.HEADER_BYTES - 1) % ring.length]);
      }
      int take = Math.min(n, headFrameRemaining);
      head = (head + take) % ring.length;
      size -= take;
      n -= take;
      headFrameRemaining -= take;
      if (headFrameRemaining == 0 && headFrameIsMessage) {
        queuedMessages--;
      }
    }
    if (size == 0) {
      head = 0;
    }
  }

  private int readIntAt(int at) {
    int value = 0;
    for (int i = 0; i < 4; i++) {
      value = (value << 8) | (ring[(at + i) % ring.length] & 0xFF);
    }
    return value;
  }

  private void grow(int needed) {
    byte[] bigger = new byte[Math.max(needed, Math.max(INITIAL_CAPACITY, ring.length * 2))];
    int first = Math.min(size, ring.length - head);
    System.arraycopy(ring, head, bigger, 0, first);
    if (first < size) {
      System.arraycopy(ring, 0, bigger, first, size - first);
    }
    ring = bigger;
    head = 0;
  }

  private List<CompletableFuture<Void>> takePending() {
    if (pendingSends.isEmpty()) {
      return List.of();
    }
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    for (PendingSend p : pendingSends) {
      futures.add(p.accepted());
    }
    pendingSends.clear();
    pendingBytes = 0;
    return futures;
  }

  /** Fails {@code sendAsync} futures refused because the queue closed, with the close's cause. */
  private void refuse(List<CompletableFuture<Void>> futures) {
    for (CompletableFuture<Void> f : futures) {
      f.completeExceptionally(closedCause.get());
    }
  }
}
