package dev.tether.bench.twojvm;

import java.util.Locale;

/** What the load generator does, and so what the server must do. */
public enum Workload {
  /** One DATA message at a time, each echoed before the next is sent; latency percentiles. */
  ROUND_TRIP("round trip", true),
  /**
   * Round trips as {@link #ROUND_TRIP}, but from one plain blocking socket that speaks each
   * server's wire format ({@link PlainClient}): the same client for every contender, so that only
   * the servers differ, as when an outside load generator measures them.
   */
  PLAIN_ROUND_TRIP("round trip, plain client", true),
  /** Tether's {@code request()} and its response, one at a time; latency percentiles. */
  REQUEST("request()", true),
  /** A window of messages kept in flight on every connection, each echoed; echoes per second. */
  ECHO("pipelined echo", false),
  /**
   * Pipelined echo as {@link #ECHO}, from the plain client of {@link #PLAIN_ROUND_TRIP}: the same
   * client for every server.
   */
  PLAIN_ECHO("pipelined echo, plain client", false),
  /** The client streams, the server counts; messages per second measured at the server. */
  ONE_WAY("one-way", false);

  private final String label;
  private final boolean latency;

  Workload(String label, boolean latency) {
    this.label = label;
    this.latency = latency;
  }

  public String label() {
    return label;
  }

  /** Returns true if the load generator uses {@link PlainClient} whatever the contender. */
  public boolean plain() {
    return this == PLAIN_ROUND_TRIP || this == PLAIN_ECHO;
  }

  /** Returns true if the workload yields latency percentiles, false if a rate. */
  public boolean isLatency() {
    return latency;
  }

  /** Returns true if the server echoes; false if it only counts (one-way). */
  public boolean echoes() {
    return this != ONE_WAY;
  }

  public String option() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * Returns the workload named {@code option}.
   *
   * @throws IllegalArgumentException if there is none
   */
  public static Workload parse(String option) {
    for (Workload w : values()) {
      if (w.option().equals(option) || w.name().equals(option)) {
        return w;
      }
    }
    throw new IllegalArgumentException("unknown workload " + option);
  }
}
