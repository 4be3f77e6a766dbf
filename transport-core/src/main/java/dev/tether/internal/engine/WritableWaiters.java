package dev.tether.internal.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * The stages {@link dev.tether.Connection#whenWritable()} handed out while the connection was not
 * writable, completed once it is, or failed once it closes. Made on first use, so a connection that
 * never waits costs nothing for it.
 *
 * <p>The connection looks on its loop, after any change that may have made it writable: its {@link
 * OutboundBuffer} turned writable or stopped needing memory ({@link
 * OutboundBuffer.Owner#writableAgain}), the runtime's send memory came free ({@link
 * SendMemory#whenFree}, asked for only while the buffer waits for it), or the connection closed.
 * Each look finds the state as it is, so a change signalled twice, or between two looks, loses
 * nothing.
 *
 * <p>Thread safe: fields guarded by this object's monitor, which is held only to move stages in and
 * out, never while completing them.
 */
final class WritableWaiters {
  private final RealConnection<?, ?> connection;
  private List<ResponseFuture<Void>> waiting = new ArrayList<>();
  private boolean lookScheduled;
  private boolean memoryWatched;
  private final Runnable look = this::look;
  private final Runnable memoryFreed = this::memoryFreed;

  WritableWaiters(RealConnection<?, ?> connection) {
    this.connection = connection;
    // at once rather than on the loop, which may have stopped once its connections closed
    connection.onClose().whenComplete((cause, failure) -> look());
  }

  /**
   * Adds a stage that completes once the connection is writable, and looks at once: on the loop, or
   * here if the connection is closing, since its loop may have stopped.
   */
  void add(ResponseFuture<Void> stage) {
    synchronized (this) {
      waiting.add(stage);
    }
    if (connection.isOpen()) {
      lookSoon();
    } else {
      look();
    }
  }

  /** Looks on the connection's loop, once, if any stage waits; any thread, any lock held. */
  void lookSoon() {
    synchronized (this) {
      if (waiting.isEmpty() || lookScheduled) {
        return;
      }
      lookScheduled = true;
    }
    connection.loop.execute(look);
  }

  private void memoryFreed() {
    synchronized (this) {
      memoryWatched = false;
    }
    lookSoon();
  }

  /**
   * Completes the stages if the connection is writable, fails them if it closed; else asks to be
   * told when the memory it waits for, if any, comes free. On the loop, or once the connection has
   * closed; with no lock held, since completing a stage hands its dependents to the executor.
   */
  private void look() {
    synchronized (this) {
      lookScheduled = false;
      if (waiting.isEmpty()) {
        return;
      }
    }
    boolean writable = connection.isWritable();
    boolean closed = !writable && !connection.isOpen();
    if (!writable && !closed) {
      boolean watch = false;
      if (connection.outbound.waitsForMemory()) {
        synchronized (this) {
          watch = !memoryWatched;
          memoryWatched = true;
        }
      }
      if (watch) {
        connection.outbound.memory().whenFree(memoryFreed);
      }
      return;
    }
    List<ResponseFuture<Void>> done;
    synchronized (this) {
      done = waiting;
      waiting = new ArrayList<>();
    }
    if (writable) {
      for (ResponseFuture<Void> stage : done) {
        stage.complete(null);
      }
    } else {
      RuntimeException cause = connection.closer.closedException();
      for (ResponseFuture<Void> stage : done) {
        stage.completeExceptionally(cause);
      }
    }
  }
}
