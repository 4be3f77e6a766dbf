package dev.tether.internal.engine;

import dev.tether.ConnectionClosedException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What {@link dev.tether.Connection#onClose()} hands out: a copy of the connection's close stage,
 * completed with it, so that what the application does with its copy (completes it, times it out)
 * changes nothing for anyone else. Its {@code get} and {@code join} refuse to wait, rather than
 * wait for good, where the close waits for the caller: on a thread running the connection's
 * handlers (the close completes once they return) and on an event loop.
 */
final class CloseStage extends CompletableFuture<ConnectionClosedException> {
  private final RealConnection<?, ?> connection;

  private CloseStage(RealConnection<?, ?> connection) {
    this.connection = connection;
  }

  /** Returns a copy of {@code close}, the close stage of {@code connection}, that it completes. */
  static CloseStage of(
      CompletableFuture<ConnectionClosedException> close, RealConnection<?, ?> connection) {
    CloseStage stage = new CloseStage(connection);
    close.whenComplete((cause, failure) -> stage.complete(cause)); // it never fails
    return stage;
  }

  @Override
  public ConnectionClosedException get() throws InterruptedException, ExecutionException {
    refuseToWaitForever();
    return super.get();
  }

  @Override
  public ConnectionClosedException get(long timeout, TimeUnit unit)
      throws InterruptedException, ExecutionException, TimeoutException {
    refuseToWaitForever();
    return super.get(timeout, unit);
  }

  @Override
  public ConnectionClosedException join() {
    refuseToWaitForever();
    return super.join();
  }

  @Override
  public <U> CompletableFuture<U> newIncompleteFuture() {
    return new CompletableFuture<>(); // dependents are plain futures
  }

  /**
   * Unless the close is done: refuses on a thread the close waits for; on a thread running another
   * connection's handler for a loop, hands the loop on first, as every wait does.
   *
   * @throws IllegalStateException if waiting here would wait until this thread returns
   */
  private void refuseToWaitForever() {
    if (isDone()) {
      return;
    }
    if (EventLoop.cannotAwaitClose(connection)) {
      throw new IllegalStateException(
          "waiting for the close of "
              + connection
              + " here would never end: the close completes once the connection's handlers have"
              + " returned, and this thread is running one of them (or is an event loop); use"
              + " onClose().whenComplete(...) instead");
    }
    EventLoop.beforeWaiting();
  }
}
