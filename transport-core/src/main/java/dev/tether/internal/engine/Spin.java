package dev.tether.internal.engine;

import java.util.function.BooleanSupplier;

/**
 * Looking actively for a result for a short while before parking: in a request/response exchange
 * over a fast network the answer usually comes within that time, and a thread that has not parked
 * wakes without a system call and a scheduler wake-up, which cost more than the wait itself.
 */
final class Spin {
  private Spin() {}

  /**
   * Returns once {@code done} is true or {@code nanos} have passed; yields the processor after the
   * first few looks, so that the threads that produce the result can run on a busy machine.
   */
  static void until(BooleanSupplier done, long nanos) {
    long deadline = System.nanoTime() + nanos;
    for (int i = 0; !done.getAsBoolean() && System.nanoTime() - deadline < 0; i++) {
      if (i < 64) {
        Thread.onSpinWait();
      } else {
        Thread.yield();
      }
    }
  }
}
