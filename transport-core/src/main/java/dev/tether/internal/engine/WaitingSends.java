package dev.tether.internal.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The {@code sendAsync} frames an {@link OutboundBuffer} keeps, in order, until its ring has room:
 * a copy of each frame, with the future that completes once the frame is in the ring. How many
 * bytes may wait is the buffer's decision; this counts them, and what their large frames take of
 * the runtime's {@link SendMemory}.
 *
 * <p>Not thread safe: the buffer's lock guards it. The futures are completed by the caller, outside
 * that lock, since what depends on them may run there ({@link #complete}, {@link #fail}).
 */
final class WaitingSends {
  /** A frame waiting, and the thread that queued it ({@link #queuedHere}). */
  private record Waiting(byte[] frame, CompletableFuture<Void> accepted, Thread sender) {}

  /**
   * The heap a waiting frame holds besides its bytes, counted with them against the bound: its
   * entry, its future, the array header of its copy and its slot in the deque. Counting the bytes
   * alone let tiny frames hold five times the bound.
   */
  static final int ENTRY_OVERHEAD = 96;

  private final ArrayDeque<Waiting> frames = new ArrayDeque<>(0);
  private long bytes;
  private long charged;

  /**
   * How many frames, from the oldest, go up to and including the last one that a handler of the
   * connection queued; 0 if none of them did.
   */
  private int ownAhead;

  boolean isEmpty() {
    return frames.isEmpty();
  }

  int size() {
    return frames.size();
  }

  /**
   * Returns the heap the frames waiting hold: their bytes and {@link #ENTRY_OVERHEAD} for each;
   * what the buffer bounds.
   */
  long footprint() {
    return bytes + (long) frames.size() * ENTRY_OVERHEAD;
  }

  /** Returns the sum of the waiting frames' {@link SendMemory#charge}. */
  long charged() {
    return charged;
  }

  /**
   * Keeps a copy of {@code frame[0, length)} behind the others, queued by the current thread;
   * {@code own} if a handler of the connection queued it.
   */
  void add(byte[] frame, int length, CompletableFuture<Void> accepted, boolean own) {
    frames.add(new Waiting(Arrays.copyOf(frame, length), accepted, Thread.currentThread()));
    bytes += length;
    charged += SendMemory.charge(length);
    if (own) {
      ownAhead = frames.size();
    }
  }

  /**
   * Returns how many frames, from the oldest, go up to and including the last one a handler of the
   * connection queued: that handler's later sends go behind them. 0 if no such frame waits.
   */
  int ownAhead() {
    return ownAhead;
  }

  /**
   * Counts the frames up to the last one the current thread queued among them as a handler's own
   * ({@link #ownAhead}) too: a handler of the connection that waits for them must not wait for an
   * acknowledgement that may lie behind what the connection reads only once it has returned.
   */
  void ownAtLeast(int frames) {
    ownAhead = Math.max(ownAhead, frames);
  }

  /**
   * Returns how many frames, from the oldest, go up to and including the last one the current
   * thread queued: its later sends go behind them, whatever rule they follow otherwise. 0 if it
   * queued none of them. Looks at the frames from the newest: for a sender that found some waiting.
   */
  int queuedHere() {
    if (frames.isEmpty()) {
      return 0;
    }
    Thread here = Thread.currentThread();
    int n = frames.size();
    for (Iterator<Waiting> newestFirst = frames.descendingIterator(); newestFirst.hasNext(); n--) {
      if (newestFirst.next().sender == here) {
        return n;
      }
    }
    return 0;
  }

  /** Returns the length of the oldest frame; the room must not be empty. */
  int nextLength() {
    return frames.getFirst().frame.length;
  }

  /** Takes the oldest frame, whose future is added to {@code accepted}, to complete later. */
  byte[] takeNext(List<CompletableFuture<Void>> accepted) {
    Waiting next = frames.removeFirst();
    ownAhead = Math.max(0, ownAhead - 1);
    bytes -= next.frame.length;
    charged -= SendMemory.charge(next.frame.length);
    accepted.add(next.accepted);
    return next.frame;
  }

  /** Empties the room; returns the futures of the frames it held, to fail later. */
  List<CompletableFuture<Void>> takeAll() {
    if (frames.isEmpty()) {
      return List.of();
    }
    List<CompletableFuture<Void>> futures = new ArrayList<>(frames.size());
    for (Waiting waiting : frames) {
      futures.add(waiting.accepted);
    }
    frames.clear();
    bytes = 0;
    charged = 0;
    ownAhead = 0;
    return futures;
  }

  /** Returns the length of the longest frame waiting, header included; 0 if none. */
  int longestFrame() {
    int longest = 0;
    for (Waiting waiting : frames) {
      longest = Math.max(longest, waiting.frame.length);
    }
    return longest;
  }

  static void complete(List<CompletableFuture<Void>> accepted) {
    if (accepted != null) {
      for (CompletableFuture<Void> f : accepted) {
        f.complete(null);
      }
    }
  }

  /** Fails the futures of frames refused because the buffer closed, each with a new cause. */
  static void fail(
      List<CompletableFuture<Void>> refused, Supplier<? extends RuntimeException> cause) {
    for (CompletableFuture<Void> f : refused) {
      f.completeExceptionally(cause.get());
    }
  }
}
