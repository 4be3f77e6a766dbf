package dev.tether.internal.engine;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/** Hand-offs that must happen even when their executor refuses. */
final class Execution {
  private Execution() {}

  /**
   * Runs {@code task} on {@code executor}, or here if it refuses (shut down by the application, or
   * the runtime closing): late, or on the wrong thread, rather than never.
   */
  static void onOrHere(Executor executor, Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      task.run();
    }
  }
}
