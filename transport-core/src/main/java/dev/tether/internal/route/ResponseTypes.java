package dev.tether.internal.route;

import dev.tether.TetherException;

/** Checks the class of a response against the one the requester named. */
public final class ResponseTypes {
  private ResponseTypes() {}

  /**
   * Returns {@code response} as a {@code type}.
   *
   * @throws TetherException if it is of another class, naming both and the request
   */
  public static <R> R cast(Object response, Class<R> type, Object request, Object connection) {
    if (type.isInstance(response)) {
      return type.cast(response);
    }
    throw new TetherException(
        "request "
            + request.getClass().getSimpleName()
            + " on "
            + connection
            + " expected a response of "
            + type.getName()
            + " but the peer answered with "
            + response.getClass().getName()
            + "; the peer's handler and this call disagree about the response type");
  }
}
