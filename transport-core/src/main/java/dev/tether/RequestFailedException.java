package dev.tether;

/**
 * The responder answered a request with an error (RESPONSE with status ERROR). The connection stays
 * up.
 */
public class RequestFailedException extends TetherException {
  private static final long serialVersionUID = 1L;

  private final RequestErrorCode code;
  private final int rawCode;
  private final String remoteMessage;

  /** Creates the exception from the error code and message the responder sent. */
  public RequestFailedException(int rawCode, String remoteMessage) {
    super(
        "request failed at peer ("
            + (RequestErrorCode.of(rawCode) == RequestErrorCode.UNKNOWN
                ? "code " + rawCode
                : RequestErrorCode.of(rawCode).name())
            + "): "
            + remoteMessage);
    this.code = RequestErrorCode.of(rawCode);
    this.rawCode = rawCode;
    this.remoteMessage = remoteMessage;
  }

  /** Returns the error code the responder sent. */
  public RequestErrorCode code() {
    return code;
  }

  /** Returns the error code as sent on the wire. */
  public int rawCode() {
    return rawCode;
  }

  /** Returns the error message the responder sent. */
  public String remoteMessage() {
    return remoteMessage;
  }
}
