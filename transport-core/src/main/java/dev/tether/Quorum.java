package dev.tether;

/**
 * How many successful answers a request sent to several peers waits for: {@link #all()}, a {@link
 * #majority()}, a fixed number ({@link #of}) or the {@link #first()}. Immutable.
 *
 * @see Replies#gather
 */
public final class Quorum {
  private static final int ALL = -1;
  private static final int MAJORITY = -2;

  private final int answers;

  private Quorum(int answers) {
    this.answers = answers;
  }

  /** Waits for every peer to answer; one failure already makes it unreachable. */
  public static Quorum all() {
    return new Quorum(ALL);
  }

  /** Waits for more than half of the peers asked: 2 of 3, 3 of 4 or 5. */
  public static Quorum majority() {
    return new Quorum(MAJORITY);
  }

  /** Waits for the first successful answer, whichever peer gives it. */
  public static Quorum first() {
    return new Quorum(1);
  }

  /**
   * Waits for {@code answers} successful answers.
   *
   * @throws IllegalArgumentException if {@code answers} is below 1
   */
  public static Quorum of(int answers) {
    if (answers < 1) {
      throw new IllegalArgumentException("a quorum needs at least 1 answer, not " + answers);
    }
    return new Quorum(answers);
  }

  /**
   * Returns how many successful answers out of {@code asked} peers satisfy this quorum.
   *
   * @throws IllegalArgumentException if this quorum needs more answers than {@code asked} peers can
   *     give
   */
  public int neededOf(int asked) {
    int needed =
        switch (answers) {
          case ALL -> asked;
          case MAJORITY -> asked / 2 + 1;
          default -> answers;
        };
    if (needed > asked) {
      throw new IllegalArgumentException(
          "a quorum of " + needed + " answers cannot be reached by asking " + asked + " peers");
    }
    return needed;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Quorum q && q.answers == answers;
  }

  @Override
  public int hashCode() {
    return answers;
  }

  @Override
  public String toString() {
    return switch (answers) {
      case ALL -> "Quorum[all]";
      case MAJORITY -> "Quorum[majority]";
      default -> "Quorum[" + answers + "]";
    };
  }
}
