package dev.tether;

import java.time.Duration;
import java.util.Objects;

/**
 * How a client connection survives the network: when its socket fails (a reset, a restart of the
 * server, a peer that went silent), it reconnects with exponential backoff and jitter up to a cap,
 * and — when the server agrees (protocol minor version 2) — resumes its session, so that every
 * message and request reaches the other side's handler exactly once, in order, across any number of
 * reconnects (PROTOCOL.md §13).
 *
 * <p>While disconnected, {@link Connection#send} and the other sends go on queueing in the bounded
 * outbound queue, under the usual backpressure: {@code send} waits when it is full and gives up
 * after {@link TetherConfig#sendTimeout()} without progress; {@code trySend} answers {@link
 * SendResult#BACK_PRESSURED}. Requests keep their own timeouts. A refusal that cannot heal (another
 * schema or protocol, a codec mismatch, another server name, unauthorized) stops the retries at
 * once.
 *
 * <p>A server's graceful shutdown ({@link GoAwayCode#SHUTTING_DOWN}) is followed too: the close
 * exchange runs as without a policy (everything written before it is confirmed; sends during it
 * fail, as after any GOAWAY, saying that the connection reconnects), then the connection reconnects
 * instead of closing and starts a new session with the server that comes back, which the listener
 * hears as {@link ReconnectListener#onSessionLost} with a count of 0. Requests still unanswered
 * when the server's GOAWAY came were not processed by it, and are asked again of the server that
 * comes back, their futures and timeouts unchanged. Any other graceful close by the server ends the
 * connection, as without a policy.
 *
 * @param initialBackoff the wait before the first reconnect attempt
 * @param maxBackoff the cap of the wait between attempts
 * @param multiplier how much the wait grows after each failed attempt, at least 1
 * @param jitter the random spread of each wait, 0 to 1: a wait {@code w} becomes one between {@code
 *     w × (1 - jitter)} and {@code w × (1 + jitter)}, so that many clients do not reconnect in step
 * @param maxAttempts attempts after one disconnection before giving up; 0 for no limit
 * @param giveUpAfter how long to go on after a disconnection before giving up, an attempt still
 *     waiting for its server's answer then included; zero for no limit
 * @param resume whether to ask the server for session resumption; without it each reconnect starts
 *     a new session and reports the old one as lost
 */
public record ReconnectPolicy(
    Duration initialBackoff,
    Duration maxBackoff,
    double multiplier,
    double jitter,
    int maxAttempts,
    Duration giveUpAfter,
    boolean resume) {

  /**
   * Validates every field.
   *
   * @throws IllegalArgumentException if a value is out of range
   */
  public ReconnectPolicy {
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    Objects.requireNonNull(giveUpAfter, "giveUpAfter");
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "backoff must be 0 <= initial <= max, was " + initialBackoff + " and " + maxBackoff);
    }
    if (!(multiplier >= 1)) {
      throw new IllegalArgumentException("multiplier must be at least 1, was " + multiplier);
    }
    if (!(jitter >= 0 && jitter <= 1)) {
      throw new IllegalArgumentException("jitter must be 0..1, was " + jitter);
    }
    if (maxAttempts < 0 || giveUpAfter.isNegative()) {
      throw new IllegalArgumentException("maxAttempts and giveUpAfter must not be negative");
    }
  }

  /** The defaults: 50 ms doubling up to 2 s, ±20% jitter, retry without end, resume sessions. */
  public static ReconnectPolicy defaults() {
    return builder().build();
  }

  /** Returns a builder that starts from {@link #defaults()}. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link ReconnectPolicy}; not thread safe. */
  public static final class Builder {
    private Duration initialBackoff = Duration.ofMillis(50);
    private Duration maxBackoff = Duration.ofSeconds(2);
    private double multiplier = 2;
    private double jitter = 0.2;
    private int maxAttempts;
    private Duration giveUpAfter = Duration.ZERO;
    private boolean resume = true;

    private Builder() {}

    /** See {@link ReconnectPolicy#initialBackoff()} and {@link ReconnectPolicy#maxBackoff()}. */
    public Builder backoff(Duration initial, Duration max) {
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /** See {@link ReconnectPolicy#multiplier()}. */
    public Builder multiplier(double multiplier) {
      this.multiplier = multiplier;
      return this;
    }

    /** See {@link ReconnectPolicy#jitter()}. */
    public Builder jitter(double jitter) {
      this.jitter = jitter;
      return this;
    }

    /** See {@link ReconnectPolicy#maxAttempts()}. */
    public Builder maxAttempts(int attempts) {
      this.maxAttempts = attempts;
      return this;
    }

    /** See {@link ReconnectPolicy#giveUpAfter()}. */
    public Builder giveUpAfter(Duration duration) {
      this.giveUpAfter = duration;
      return this;
    }

    /** See {@link ReconnectPolicy#resume()}. */
    public Builder resume(boolean resume) {
      this.resume = resume;
      return this;
    }

    /**
     * Returns the policy.
     *
     * @throws IllegalArgumentException if a value is out of range
     */
    public ReconnectPolicy build() {
      return new ReconnectPolicy(
          initialBackoff, maxBackoff, multiplier, jitter, maxAttempts, giveUpAfter, resume);
    }
  }
}
