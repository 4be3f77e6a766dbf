package dev.tether.internal.engine;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The future a request returns. The event loop completes it directly, so a thread waiting in {@code
 * get} or {@code join} wakes without a hand-off; but every dependent action, asynchronous or not,
 * runs on the connection's handler executor, so user code never runs on (or blocks) an event loop.
 */
class ResponseFuture<T> extends CompletableFuture<T> {
  private final Executor executor;

  ResponseFuture(Executor executor) {
    this.executor = executor;
  }

  @Override
  public <U> CompletableFuture<U> newIncompleteFuture() {
    return new ResponseFuture<>(executor);
  }

  @Override
  public Executor defaultExecutor() {
    return executor;
  }

  /**
   * Waits for the response, looking for it actively for a short while before parking: a response on
   * a fast network usually comes within that time, and a thread that has not parked wakes without a
   * system call and a scheduler wake-up (which cost more than the wait itself).
   */
  @Override
  public T get() throws InterruptedException, java.util.concurrent.ExecutionException {
    spinUntilDone();
    return super.get();
  }

  @Override
  public T get(long timeout, java.util.concurrent.TimeUnit unit)
      throws InterruptedException,
          java.util.concurrent.ExecutionException,
          java.util.concurrent.TimeoutException {
    spinUntilDone();
    return super.get(timeout, unit);
  }

  @Override
  public T join() {
    spinUntilDone();
    return super.join();
  }

  private void spinUntilDone() {
    if (isDone()) {
      return;
    }
    EventLoop.refuseToWaitOnLoop("waiting for a response");
    Spin.until(this::isDone, HandlerPool.SPIN_NANOS);
  }

  /** Registers an action that is cheap and never blocks, to run wherever the future completes. */
  void whenCompleteInline(BiConsumer<? super T, ? super Throwable> action) {
    super.whenComplete(action);
  }

  @Override
  public <U> CompletableFuture<U> thenApply(Function<? super T, ? extends U> fn) {
    return thenApplyAsync(fn);
  }

  @Override
  public CompletableFuture<Void> thenAccept(Consumer<? super T> action) {
    return thenAcceptAsync(action);
  }

  @Override
  public CompletableFuture<Void> thenRun(Runnable action) {
    return thenRunAsync(action);
  }

  @Override
  public <U, V> CompletableFuture<V> thenCombine(
      CompletionStage<? extends U> other, BiFunction<? super T, ? super U, ? extends V> fn) {
    return thenCombineAsync(other, fn);
  }

  @Override
  public <U> CompletableFuture<Void> thenAcceptBoth(
      CompletionStage<? extends U> other, BiConsumer<? super T, ? super U> action) {
    return thenAcceptBothAsync(other, action);
  }

  @Override
  public CompletableFuture<Void> runAfterBoth(CompletionStage<?> other, Runnable action) {
    return runAfterBothAsync(other, action);
  }

  @Override
  public <U> CompletableFuture<U> applyToEither(
      CompletionStage<? extends T> other, Function<? super T, U> fn) {
    return applyToEitherAsync(other, fn);
  }

  @Override
  public CompletableFuture<Void> acceptEither(
      CompletionStage<? extends T> other, Consumer<? super T> action) {
    return acceptEitherAsync(other, action);
  }

  @Override
  public CompletableFuture<Void> runAfterEither(CompletionStage<?> other, Runnable action) {
    return runAfterEitherAsync(other, action);
  }

  @Override
  public <U> CompletableFuture<U> thenCompose(
      Function<? super T, ? extends CompletionStage<U>> fn) {
    return thenComposeAsync(fn);
  }

  @Override
  public <U> CompletableFuture<U> handle(BiFunction<? super T, Throwable, ? extends U> fn) {
    return handleAsync(fn);
  }

  @Override
  public CompletableFuture<T> whenComplete(BiConsumer<? super T, ? super Throwable> action) {
    return whenCompleteAsync(action);
  }

  @Override
  public CompletableFuture<T> exceptionally(Function<Throwable, ? extends T> fn) {
    return exceptionallyAsync(fn);
  }

  @Override
  public CompletableFuture<T> exceptionallyCompose(
      Function<Throwable, ? extends CompletionStage<T>> fn) {
    return exceptionallyComposeAsync(fn);
  }

  /**
   * A response future that is told when it is completed through its public methods ({@code
   * complete}, {@code completeExceptionally}, {@code cancel}, {@code obtrude...}, {@code
   * completeAsync}, and so {@code orTimeout} and {@code completeOnTimeout}): the application may
   * give up on a response that way, and what waits for it on the connection's side is then freed.
   * The methods are overridden rather than a completion action added, so that a request allocates
   * nothing more.
   */
  abstract static class Watched<T> extends ResponseFuture<T> {
    Watched(Executor executor) {
      super(executor);
    }

    /** Called after a public method completed (or obtruded on) this future; any thread. */
    abstract void onCompleted();

    @Override
    public boolean complete(T value) {
      return completedIf(super.complete(value));
    }

    @Override
    public boolean completeExceptionally(Throwable ex) {
      return completedIf(super.completeExceptionally(ex));
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      return completedIf(super.cancel(mayInterruptIfRunning));
    }

    @Override
    public void obtrudeValue(T value) {
      super.obtrudeValue(value);
      onCompleted();
    }

    @Override
    public void obtrudeException(Throwable ex) {
      super.obtrudeException(ex);
      onCompleted();
    }

    @Override
    public CompletableFuture<T> completeAsync(Supplier<? extends T> supplier, Executor executor) {
      Objects.requireNonNull(supplier, "supplier");
      Objects.requireNonNull(executor, "executor");
      executor.execute(
          () -> {
            try {
              complete(supplier.get());
            } catch (Throwable t) {
              completeExceptionally(t);
            }
          });
      return this;
    }

    private boolean completedIf(boolean completed) {
      if (completed) {
        onCompleted();
      }
      return completed;
    }
  }
}
