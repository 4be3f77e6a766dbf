package dev.tether;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One {@link Replies#gather} in progress: records each call's outcome as it completes and ends the
 * gathering once the quorum is satisfied or every call has completed, or when its timeout passes.
 *
 * <p>Thread safe: outcomes arrive on whatever threads complete the calls.
 */
final class Gathering<K, R> {
  /**
   * One daemon thread for every gathering's timeout; it only hands the ending to an executor, so
   * that no caller's code ever runs on it. Cancelled timeouts are removed at once.
   */
  private static final class Timer {
    static final ScheduledThreadPoolExecutor INSTANCE = create();

    private static ScheduledThreadPoolExecutor create() {
      ScheduledThreadPoolExecutor timer =
          new ScheduledThreadPoolExecutor(
              1,
              r -> {
                Thread t = new Thread(r, "tether-gather-timer");
                t.setDaemon(true);
                return t;
              });
      timer.setRemoveOnCancelPolicy(true);
      return timer;
    }
  }

  private final int asked;
  private final int needed;
  private final Duration timeout;
  private final CompletableFuture<Replies<K, R>> result = new CompletableFuture<>();
  private final Map<K, R> successes = new LinkedHashMap<>();
  private final Map<K, Throwable> failures = new LinkedHashMap<>();
  private final Set<K> pending;
  private ScheduledFuture<?> timer;
  private boolean done;

  private Gathering(Set<K> keys, int needed, Duration timeout) {
    this.asked = keys.size();
    this.needed = needed;
    this.timeout = timeout;
    this.pending = new LinkedHashSet<>(keys);
  }

  static <K, R> CompletableFuture<Replies<K, R>> start(
      Map<K, ? extends CompletionStage<? extends R>> calls,
      Quorum quorum,
      Duration timeout,
      Executor executor) {
    Objects.requireNonNull(quorum, "quorum");
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(executor, "executor");
    if (calls.isEmpty()) {
      throw new IllegalArgumentException("nothing to gather: no calls were given");
    }
    calls.keySet().forEach(Replies::checkKey);
    Gathering<K, R> gathering =
        new Gathering<>(calls.keySet(), quorum.neededOf(calls.size()), timeout);
    synchronized (gathering) {
      gathering.timer =
          Timer.INSTANCE.schedule(
              () -> gathering.endOn(executor),
              Math.max(0, timeout.toNanos()),
              TimeUnit.NANOSECONDS);
    }
    for (Map.Entry<K, ? extends CompletionStage<? extends R>> call : calls.entrySet()) {
      K key = call.getKey();
      call.getValue().whenComplete((value, failure) -> gathering.onOutcome(key, value, failure));
    }
    return gathering.result;
  }

  private void onOutcome(K key, R value, Throwable failure) {
    Replies<K, R> replies;
    synchronized (this) {
      if (done || !pending.remove(key)) {
        return;
      }
      if (failure != null) {
        failures.put(key, unwrap(failure));
      } else {
        successes.put(key, value);
      }
      // a quorum out of reach still waits for the rest, so that every peer's outcome is reported
      if (successes.size() < needed && !pending.isEmpty()) {
        return;
      }
      replies = end(false);
    }
    result.complete(replies);
  }

  /** Ends the gathering on {@code executor}, or here if the executor refuses (it was shut down). */
  private void endOn(Executor executor) {
    try {
      executor.execute(this::onTimeout);
    } catch (RejectedExecutionException e) {
      onTimeout();
    }
  }

  private void onTimeout() {
    Replies<K, R> replies;
    synchronized (this) {
      if (done) {
        return;
      }
      replies = end(true);
    }
    result.complete(replies);
  }

  /** Freezes the outcome; called once, holding the lock. */
  private Replies<K, R> end(boolean timedOut) {
    done = true;
    if (timer != null) {
      timer.cancel(false);
    }
    return new Replies<>(
        asked,
        needed,
        new LinkedHashMap<>(successes),
        new LinkedHashMap<>(failures),
        new LinkedHashSet<>(pending),
        timedOut,
        timeout);
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
