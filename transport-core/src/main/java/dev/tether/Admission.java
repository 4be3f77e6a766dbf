package dev.tether;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * An {@link Authorizer}'s decision about a peer: admitted (for good, or until an expiry), or
 * refused with a reason the peer is told. Immutable.
 */
public final class Admission {
  private static final Admission ADMITTED = new Admission(true, null, "");

  private final boolean admitted;
  private final Instant expiry;
  private final String reason;

  private Admission(boolean admitted, Instant expiry, String reason) {
    this.admitted = admitted;
    this.expiry = expiry;
    this.reason = reason;
  }

  /** Admits the peer for as long as the connection lasts (its certificates' expiry aside). */
  public static Admission admit() {
    return ADMITTED;
  }

  /**
   * Admits the peer until {@code expiry}, e.g. when its token expires. At that moment the {@link
   * Authorizer} is asked again, on the same facts; unless it admits the peer for longer, the
   * connection is closed with {@link GoAwayCode#UNAUTHORIZED}. An expiry already past refuses.
   */
  public static Admission admitUntil(Instant expiry) {
    return new Admission(true, Objects.requireNonNull(expiry, "expiry"), "");
  }

  /**
   * Refuses the peer; it is sent GOAWAY(UNAUTHORIZED) with {@code reason}, so say what is missing
   * but nothing that helps an attacker.
   */
  public static Admission refuse(String reason) {
    return new Admission(false, null, Objects.requireNonNull(reason, "reason"));
  }

  /** Returns true if the peer is admitted. */
  public boolean isAdmitted() {
    return admitted;
  }

  /** Returns when the admission ends; empty if it lasts as long as the connection. */
  public Optional<Instant> expiry() {
    return Optional.ofNullable(expiry);
  }

  /** Returns why the peer was refused; empty when admitted. */
  public String reason() {
    return reason;
  }

  @Override
  public String toString() {
    if (!admitted) {
      return "Admission[refused: " + reason + "]";
    }
    return expiry == null ? "Admission[admitted]" : "Admission[admitted until " + expiry + "]";
  }
}
