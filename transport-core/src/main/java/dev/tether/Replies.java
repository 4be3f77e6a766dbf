package dev.tether;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * The answers to one request sent to several peers, keyed by peer (a node id, a connection, a
 * partition): who answered and with what, who failed and why, and who had not answered when the
 * gathering ended. Failures are kept, never swallowed: {@link #orThrow()} turns an unsatisfied
 * gathering into one exception that names every peer's failure.
 *
 * <pre>{@code
 * Replies<Long, Count> counts =
 *     pool.requestAll(List.of(1L, 2L, 3L), new CountWords(text), Count.class,
 *         Quorum.all(), Duration.ofSeconds(2)).join();
 * long total = counts.orThrow().successes().values().stream().mapToLong(Count::n).sum();
 * }</pre>
 *
 * <p>Immutable.
 *
 * @param <K> what identifies a peer
 * @param <R> the type of the answers
 */
public final class Replies<K, R> {
  private final int asked;
  private final int needed;
  private final Map<K, R> successes;
  private final Map<K, Throwable> failures;
  private final Set<K> unanswered;
  private final boolean timedOut;
  private final Duration timeout;

  Replies(
      int asked,
      int needed,
      Map<K, R> successes,
      Map<K, Throwable> failures,
      Set<K> unanswered,
      boolean timedOut,
      Duration timeout) {
    this.asked = asked;
    this.needed = needed;
    this.successes = Collections.unmodifiableMap(successes);
    this.failures = Collections.unmodifiableMap(failures);
    this.unanswered = Collections.unmodifiableSet(unanswered);
    this.timedOut = timedOut;
    this.timeout = timeout;
  }

  /**
   * Waits for the calls to complete until {@code quorum} is satisfied, every call has completed, or
   * {@code timeout} has passed, whichever comes first; then completes the returned future, never
   * exceptionally, with what each call did. A quorum that failures have put out of reach still
   * waits for the other calls (within the timeout), so that every peer's outcome is reported. Calls
   * still running at the end are listed in {@link #unanswered()} and left to finish on their own.
   *
   * @param calls one call per peer, in the order the peers should be listed
   * @throws IllegalArgumentException if the quorum needs more answers than there are calls, or
   *     there are none
   */
  public static <K, R> CompletableFuture<Replies<K, R>> gather(
      Map<K, ? extends CompletionStage<? extends R>> calls, Quorum quorum, Duration timeout) {
    return gather(calls, quorum, timeout, ForkJoinPool.commonPool());
  }

  /**
   * Like {@link #gather(Map, Quorum, Duration)}; a gathering that ends by its timeout completes on
   * {@code executor} (so the future's dependents run there), instead of the common fork-join pool.
   */
  public static <K, R> CompletableFuture<Replies<K, R>> gather(
      Map<K, ? extends CompletionStage<? extends R>> calls,
      Quorum quorum,
      Duration timeout,
      Executor executor) {
    return Gathering.start(calls, quorum, timeout, executor);
  }

  /** Returns the successful answers, by peer, in the order they arrived. */
  public Map<K, R> successes() {
    return successes;
  }

  /** Returns the answers alone, in the order they arrived. */
  public List<R> values() {
    return List.copyOf(successes.values());
  }

  /**
   * Returns the peers that failed, with the failure: a {@link RequestFailedException} (the peer's
   * handler failed), a {@link ConnectionClosedException}, a {@link TetherTimeoutException} (the
   * request timed out), an {@link UnknownPeerException}, ...
   */
  public Map<K, Throwable> failures() {
    return failures;
  }

  /**
   * Returns the peers that had not answered when the gathering ended, because the timeout passed or
   * because the quorum was decided without them.
   */
  public Set<K> unanswered() {
    return unanswered;
  }

  /** Returns true if enough peers answered successfully to satisfy the quorum. */
  public boolean isSatisfied() {
    return successes.size() >= needed;
  }

  /** Returns true if the gathering ended because its timeout passed. */
  public boolean timedOut() {
    return timedOut;
  }

  /** Returns how many peers were asked. */
  public int asked() {
    return asked;
  }

  /** Returns how many successful answers the quorum needed. */
  public int needed() {
    return needed;
  }

  /**
   * Returns this if the quorum is satisfied.
   *
   * @throws TetherException otherwise, whose message names each peer's failure and the peers that
   *     did not answer in time; the first failure is its cause
   */
  public Replies<K, R> orThrow() {
    if (isSatisfied()) {
      return this;
    }
    Throwable cause = failures.isEmpty() ? null : failures.values().iterator().next();
    throw new TetherException("quorum not reached: " + this, cause);
  }

  @Override
  public String toString() {
    StringBuilder s =
        new StringBuilder()
            .append(successes.size())
            .append(" of ")
            .append(asked)
            .append(" answered, ")
            .append(needed)
            .append(" needed");
    for (Map.Entry<K, Throwable> f : failures.entrySet()) {
      s.append("; ").append(f.getKey()).append(" failed: ").append(describe(f.getValue()));
    }
    if (!unanswered.isEmpty() && timedOut) {
      s.append("; no answer from ")
          .append(unanswered)
          .append(" within ")
          .append(timeout.toMillis())
          .append(" ms");
    } else if (!unanswered.isEmpty()) {
      s.append("; not waited for ").append(unanswered).append(", the quorum being reached");
    }
    return s.toString();
  }

  private static String describe(Throwable t) {
    return t.getMessage() != null ? t.getMessage() : t.getClass().getName();
  }

  static <K> K checkKey(K key) {
    return Objects.requireNonNull(key, "peer key");
  }
}
