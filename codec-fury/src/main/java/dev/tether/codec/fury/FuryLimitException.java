package dev.tether.codec.fury;

/**
 * A message or payload past {@link dev.tether.codec.CodecLimits}, or of a class the codec does not
 * carry, refused by one of the codec's own serializers. Its message is complete and is shown as it
 * is, without the class name {@link FuryFailures} puts before Fory's own exceptions.
 */
final class FuryLimitException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  FuryLimitException(String message) {
    super(message, null, false, false); // no stack trace: thrown by design, on hostile input
  }
}
