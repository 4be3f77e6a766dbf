package dev.tether.internal.engine;

import dev.tether.internal.wire.FrameDecoder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The memory a runtime's connections together may hold for received large frames (over {@link
 * FrameDecoder#ADMIT_ABOVE} bytes): each connection's own bounds (frame size, inbound queue) hold
 * for one connection, but sixty connections each receiving a 12 MB message at once would need 720
 * MB in gathering buffers alone. A large frame is reserved whole when its header arrives, before a
 * byte of its body is gathered, and released once the handler that took it returns (or the frame is
 * refused or dropped): all or nothing, so that no two connections each hold half of what they need
 * and wait for ever. While nothing is free, the connection stops reading (its peer feels TCP
 * backpressure) and reads again when another connection's frame is released.
 *
 * <p>A connection's inbound queue draws on the same memory for small frames once it holds more than
 * its allowance of them, a step at a time ({@link InboundQueue#ALLOWANCE}), so that many queues
 * filling at once are bounded together too.
 *
 * <p>As Kafka's memory pool does, a reservation is granted whenever anything at all is free, even
 * if the frame needs more than that: a frame larger than the whole capacity still gets through, and
 * the total exceeds the capacity by at most one frame.
 *
 * <p>Thread safe. Reservations are per large frame, so a lock costs nothing measurable.
 */
public final class ReceiveMemory {
  private final long capacity;
  private long used;
  private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();

  /**
   * @param capacity the bytes that may be reserved at once, at least 1
   */
  public ReceiveMemory(long capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("the capacity must be at least 1 byte, not " + capacity);
    }
    this.capacity = capacity;
  }

  /**
   * An eighth of the most heap this JVM may use: a large message costs a few times its size on its
   * way (gathered, copied, decoded, and often answered with one as large).
   */
  public static long defaultCapacity() {
    return Math.max(1, Runtime.getRuntime().maxMemory() / 8);
  }

  public long capacity() {
    return capacity;
  }

  /** Returns the bytes reserved now. */
  public synchronized long used() {
    return used;
  }

  /**
   * Reserves {@code bytes} if anything is free and nobody waits; otherwise queues {@code account},
   * which is granted the bytes, in the order the connections came, by a later release.
   */
  private synchronized boolean reserveOrQueue(long bytes, Account account) {
    if (waiting.isEmpty() && used < capacity) {
      used += bytes;
      return true;
    }
    waiting.add(new Waiter(account, bytes));
    return false;
  }

  void release(long bytes) {
    if (bytes == 0) {
      return;
    }
    List<Waiter> granted = null;
    synchronized (this) {
      used -= bytes;
      assert used >= 0 : "released more than was reserved";
      while (!waiting.isEmpty() && used < capacity) {
        Waiter next = waiting.poll();
        used += next.bytes;
        if (granted == null) {
          granted = new ArrayList<>();
        }
        granted.add(next);
      }
    }
    if (granted != null) {
      for (Waiter w : granted) {
        w.account.granted(w.bytes);
      }
    }
  }

  private record Waiter(Account account, long bytes) {}

  /** Takes {@code account} out of the line; false if it is not there (its grant is on its way). */
  private synchronized boolean leaveLine(Account account) {
    return waiting.removeIf(w -> w.account == account);
  }

  /** Returns a new connection's account. */
  Account account(Runnable resumeReading) {
    return new Account(resumeReading);
  }

  /**
   * One connection's share: what it holds, so that a connection that ends gives back whatever it
   * still held, whichever path its frames took. Once {@link #close}d, reservations are granted
   * without counting and releases do nothing.
   */
  final class Account {
    private final Runnable resumeReading;
    private long held;

    /** Bytes a release granted while this connection waited, for the frame it waits to read. */
    private long granted;

    private boolean waiting;
    private boolean closed;

    /** The grant on its way to this account is no longer wanted: given back when it comes. */
    private boolean unwanted;

    private Account(Runnable resumeReading) {
      this.resumeReading = resumeReading;
    }

    /**
     * Reserves a frame of {@code bytes}: returns the bytes reserved (0 once the account is closed),
     * or -1 if the connection must wait; it then reads again once the bytes have been granted to
     * it, and asks again for the same frame.
     */
    long reserve(long bytes) {
      long stale;
      synchronized (this) {
        if (closed) {
          return 0;
        }
        if (granted == bytes) {
          granted = 0;
          return bytes;
        }
        if (waiting) {
          return -1; // its turn comes
        }
        stale = takeGrant(); // for a frame the connection no longer reads: another socket's
        if (reserveOrQueue(bytes, this)) {
          held += bytes;
          bytes = -bytes;
        } else {
          waiting = true;
        }
      }
      ReceiveMemory.this.release(stale);
      return bytes < 0 ? -bytes : -1;
    }

    /** A release made room for what this connection waits for. */
    private void granted(long bytes) {
      synchronized (this) {
        waiting = false;
        if (!closed && !unwanted) {
          granted = bytes;
          held += bytes;
          bytes = 0;
        }
        unwanted = false;
      }
      ReceiveMemory.this.release(bytes); // a connection closed meanwhile wants none
      resumeReading.run();
    }

    /** Gives back {@code bytes} reserved by {@link #reserve}; any thread, 0 is nothing. */
    void release(long bytes) {
      if (bytes == 0) {
        return;
      }
      synchronized (this) {
        if (closed) {
          return;
        }
        held -= bytes;
      }
      ReceiveMemory.this.release(bytes);
    }

    /**
     * The connection no longer needs what it waited for (its queue was taken from meanwhile): it
     * leaves the line, and a grant made for it is given back, now or when it comes. Otherwise the
     * grant would be held until the connection next asked, or ended, and enough idle connections
     * holding one would leave none for the others.
     */
    void withdraw() {
      long stale;
      synchronized (this) {
        stale = takeGrant();
        if (waiting && !ReceiveMemory.this.leaveLine(this)) {
          unwanted = true; // a release took it out of the line and is about to grant it
        }
        waiting = false;
      }
      ReceiveMemory.this.release(stale);
    }

    /** Gives back what was granted for a frame of a socket the connection no longer reads. */
    void dropGrant() {
      long stale;
      synchronized (this) {
        stale = takeGrant();
      }
      ReceiveMemory.this.release(stale);
    }

    /** Takes the grant out of what this account holds, for the caller to release. Lock held. */
    private long takeGrant() {
      long stale = granted;
      granted = 0;
      held -= stale;
      return stale;
    }

    /** Gives back everything still held: the connection has ended. Idempotent. */
    void close() {
      long rest;
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
        rest = held;
        held = 0;
        granted = 0;
      }
      ReceiveMemory.this.release(rest);
    }

    synchronized long held() {
      return held;
    }
  }
}
