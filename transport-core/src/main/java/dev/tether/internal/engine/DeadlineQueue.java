package dev.tether.internal.engine;

import java.util.Arrays;

/**
 * The timers of one event loop: a binary min-heap of {@link Timer}s ordered by deadline, each
 * knowing its own slot, so that scheduling, rescheduling and cancelling cost O(log n) and a
 * cancelled timer is gone at once instead of lingering until its deadline. The loop sleeps until
 * {@link #nextDeadline()}.
 *
 * <p>This class is not thread safe: only the owning loop's thread touches it.
 */
final class DeadlineQueue {
  /** Something that happens at a deadline; a timer is in at most one queue at a time. */
  abstract static class Timer {
    /** The deadline in {@link System#nanoTime()} units; meaningful while scheduled. */
    long deadline;

    /** The slot in the heap, or -1 when not scheduled. */
    int index = -1;

    /** Runs on the loop once the deadline has passed; the timer is no longer scheduled. */
    abstract void onTimer(long now);

    final boolean isScheduled() {
      return index >= 0;
    }
  }

  private Timer[] heap = new Timer[64];
  private int size;

  /** Schedules {@code timer} at {@code deadline}, or moves it there if already scheduled. */
  void schedule(Timer timer, long deadline) {
    if (timer.index >= 0) {
      long old = timer.deadline;
      timer.deadline = deadline;
      if (deadline - old < 0) {
        siftUp(timer.index);
      } else {
        siftDown(timer.index);
      }
      return;
    }
    if (size == heap.length) {
      heap = Arrays.copyOf(heap, size * 2);
    }
    timer.deadline = deadline;
    timer.index = size;
    heap[size++] = timer;
    siftUp(timer.index);
  }

  /** Removes {@code timer} if it is scheduled. */
  void cancel(Timer timer) {
    int i = timer.index;
    if (i < 0) {
      return;
    }
    assert i < size && heap[i] == timer : "cancelling a timer of another queue";
    timer.index = -1;
    Timer last = heap[--size];
    heap[size] = null;
    if (i < size) {
      heap[i] = last;
      last.index = i;
      siftDown(i);
      siftUp(last.index);
    }
    if (heap.length > 64 && size < heap.length / 4) {
      heap = Arrays.copyOf(heap, heap.length / 2);
    }
  }

  /** Returns the earliest deadline, or {@link Long#MAX_VALUE} when nothing is scheduled. */
  long nextDeadline() {
    return size == 0 ? Long.MAX_VALUE : heap[0].deadline;
  }

  int size() {
    return size;
  }

  /**
   * Runs every timer whose deadline is at or before {@code now}, earliest first. A timer that
   * reschedules itself into the past runs again only on the next call, so this always ends.
   */
  void expire(long now) {
    int budget = size;
    while (size > 0 && budget-- > 0 && heap[0].deadline - now <= 0) {
      Timer timer = heap[0];
      cancel(timer);
      timer.onTimer(now);
    }
  }

  private void siftUp(int i) {
    Timer timer = heap[i];
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      Timer p = heap[parent];
      if (timer.deadline - p.deadline >= 0) {
        break;
      }
      heap[i] = p;
      p.index = i;
      i = parent;
    }
    heap[i] = timer;
    timer.index = i;
  }

  private void siftDown(int i) {
    Timer timer = heap[i];
    int half = size >>> 1;
    while (i < half) {
      int child = 2 * i + 1;
      Timer c = heap[child];
      int right = child + 1;
      if (right < size && heap[right].deadline - c.deadline < 0) {
        child = right;
        c = heap[child];
      }
      if (timer.deadline - c.deadline <= 0) {
        break;
      }
      heap[i] = c;
      c.index = i;
      i = child;
    }
    heap[i] = timer;
    timer.index = i;
  }
}
