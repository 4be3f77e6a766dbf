package dev.tether.internal.engine;

/**
 * Words for a {@link Throwable} that may be the application's (a handler's, a codec's, an
 * authorizer's). Its {@code getMessage}, {@code toString} and {@code getCause} are then the
 * application's code too, and may throw; the engine code that reports a failure must not fail in
 * turn, or it would leave the connection it was closing open, and its dispatcher or loop stopped.
 */
final class Throwables {
  /** How deep {@link #loggable} looks along a chain of causes. */
  private static final int MAX_CAUSES = 16;

  private Throwables() {}

  /** Returns {@code t}'s message, or its class name if it has none or cannot say it. */
  static String message(Throwable t) {
    try {
      String message = t.getMessage();
      if (message != null) {
        return message;
      }
    } catch (Throwable broken) {
      return unprintable(t, broken);
    }
    return t.getClass().getName();
  }

  /** Returns {@code t}'s class name and message, as {@link Throwable#toString} would, safely. */
  static String text(Throwable t) {
    try {
      return t.toString();
    } catch (Throwable broken) {
      return unprintable(t, broken);
    }
  }

  /**
   * Returns {@code t} if a logger can print it (its and its causes' {@code toString} work), or else
   * a stand-in with its class name and stack trace, so that logging a failure cannot throw.
   */
  static Throwable loggable(Throwable t) {
    try {
      Throwable cause = t;
      for (int i = 0; cause != null && i < MAX_CAUSES; i++) {
        String.valueOf(cause);
        Throwable next = cause.getCause();
        cause = next == cause ? null : next;
      }
      return t;
    } catch (Throwable broken) {
      Throwable standIn = new Throwable(unprintable(t, broken));
      try {
        standIn.setStackTrace(t.getStackTrace());
      } catch (Throwable ignored) {
        // the stand-in's own stack trace, then: the place the failure was reported
      }
      return standIn;
    }
  }

  private static String unprintable(Throwable t, Throwable broken) {
    return t.getClass().getName()
        + " (whose own message could not be read: "
        + broken.getClass().getName()
        + ")";
  }
}
