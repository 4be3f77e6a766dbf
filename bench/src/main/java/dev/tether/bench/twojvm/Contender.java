package dev.tether.bench.twojvm;

import java.util.Locale;

/** A system measured in the two-JVM benchmarks: both its server and its load-generator end. */
public enum Contender {
  /** Tether with its default configuration: handlers on the event loop until one blocks. */
  TETHER("Tether"),
  /** Tether with {@code handlersOnEventLoop()}: handlers on the event loop, as Netty. */
  TETHER_LOOP("Tether, handlers on loop"),
  /** Tether with {@code handlersOnPool()}: a hand-off to the handler pool per delivery. */
  TETHER_POOL("Tether, handlers on pool"),
  /** Netty 4.2, NIO, handlers on the event loop; see {@link NettyEnds}. */
  NETTY("Netty"),
  /** Blocking socket channels moving pre-encoded frames: the limit; see {@link RawEnds}. */
  RAW("raw");

  private final String label;

  Contender(String label) {
    this.label = label;
  }

  /** Returns the name shown in the report. */
  public String label() {
    return label;
  }

  /** Returns the name used on command lines, such as {@code tether-loop}. */
  public String option() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Returns true for the Tether configurations. */
  public boolean isTether() {
    return this == TETHER || this == TETHER_LOOP || this == TETHER_POOL;
  }

  /**
   * Returns whether this contender can run {@code workload}: request() is Tether's alone, and the
   * plain client measures the servers in their default configuration (Tether's, Netty's, raw's).
   */
  public boolean runs(Workload workload) {
    return switch (workload) {
      case REQUEST -> isTether();
      case PLAIN_ROUND_TRIP, PLAIN_ECHO -> this == TETHER || this == NETTY || this == RAW;
      default -> true;
    };
  }

  /**
   * Returns the contender named {@code option}.
   *
   * @throws IllegalArgumentException if there is none
   */
  public static Contender parse(String option) {
    for (Contender c : values()) {
      if (c.option().equals(option) || c.name().equals(option)) {
        return c;
      }
    }
    throw new IllegalArgumentException("unknown contender " + option);
  }
}
