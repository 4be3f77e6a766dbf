package dev.tether.bench.twojvm;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The sequence checks of every connection of one end, summed. Thread safe. */
public final class Tally {
  private final List<SequenceCheck> checks = new CopyOnWriteArrayList<>();

  /** Returns a new check for a connection that has just opened. */
  public SequenceCheck open() {
    SequenceCheck check = new SequenceCheck();
    checks.add(check);
    return check;
  }

  public int connections() {
    return checks.size();
  }

  /** Returns the messages received on every connection. */
  public long received() {
    long sum = 0;
    for (SequenceCheck c : checks) {
      sum += c.received();
    }
    return sum;
  }

  /** Returns the out-of-sequence messages on every connection. */
  public long errors() {
    long sum = 0;
    for (SequenceCheck c : checks) {
      sum += c.errors();
    }
    return sum;
  }

  /** Returns the first error of any connection, or null. */
  public String firstError() {
    for (SequenceCheck c : checks) {
      if (c.firstError() != null) {
        return c.firstError();
      }
    }
    return null;
  }
}
