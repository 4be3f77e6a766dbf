package dev.tether.codec.kryo;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * A fixed number of slots holding idle objects, borrowed and returned with one compare-and-set
 * each. Unlike Kryo's {@code Pool}, whose queue allocates a node on every return, borrowing and
 * returning allocate nothing, so the codec's steady state allocates only what Kryo itself does.
 * When every slot is empty a new object is created; when every slot is full a returned object is
 * dropped. The pool therefore never blocks and holds at most {@code capacity} idle objects.
 *
 * <p>Unlike a {@code ThreadLocal}, the number of objects follows the number of calls in flight, not
 * the number of threads that ever called: a thread pool of 200, or virtual threads, do not each get
 * a Kryo of their own.
 *
 * <p>This class is thread safe.
 */
final class SessionPool<T> {
  private final AtomicReferenceArray<T> slots;
  private final Supplier<T> factory;

  SessionPool(int capacity, Supplier<T> factory) {
    this.slots = new AtomicReferenceArray<>(capacity);
    this.factory = factory;
  }

  /** Returns an idle object, or a new one if none is idle. */
  T borrow() {
    int length = slots.length();
    int start = start(length);
    for (int i = 0; i < length; i++) {
      int slot = (start + i) % length;
      T idle = slots.get(slot);
      if (idle != null && slots.compareAndSet(slot, idle, null)) {
        return idle;
      }
    }
    return factory.get();
  }

  /** Gives {@code object} back for reuse, or drops it if every slot is taken. */
  void giveBack(T object) {
    int length = slots.length();
    int start = start(length);
    for (int i = 0; i < length; i++) {
      int slot = (start + i) % length;
      if (slots.get(slot) == null && slots.compareAndSet(slot, null, object)) {
        return;
      }
    }
  }

  // Threads start at different slots, so that concurrent callers rarely touch the same one; a
  // thread tends to find the object it returned last, still warm in its cache.
  private static int start(int length) {
    return (int) (Thread.currentThread().getId() % length);
  }
}
