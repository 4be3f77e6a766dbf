package dev.tether.codec.fury;

import dev.tether.codec.CodecLimits;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.fory.exception.InsecureException;

/**
 * Turns what Fory throws into one line for a {@link dev.tether.codec.CodecException}. Fory wraps
 * most failures in a {@code DeserializationException("Failed to deserialize input")}; the useful
 * part is the innermost cause. Its advice for unregistered classes (call {@code Fory#register}, or
 * turn registration off) does not apply to a Tether user, so that is rewritten.
 */
final class FuryFailures {
  private static final Pattern UNREGISTERED =
      Pattern.compile("[Cc]lass (\\S+?)[,.]? is not registered");

  /** Longest reason kept; Fory's messages for unregistered classes run to 500 characters. */
  private static final int MAX_REASON_CHARS = 300;

  private FuryFailures() {}

  /** Returns why encoding failed, with what to change if a class is not registered. */
  static String encodeReason(Throwable failure, CodecLimits limits) {
    FuryLimitException limit = find(failure, FuryLimitException.class);
    if (limit != null) {
      return limit.getMessage();
    }
    if (find(failure, StackOverflowError.class) != null) {
      // Fory suggests turning reference tracking on; the codec keeps it off, on purpose.
      return "StackOverflowError: the message holds a cycle or is nested too deeply (a reader"
          + " accepts "
          + limits.maxDepth()
          + " levels)";
    }
    String unregistered = unregisteredClass(failure);
    if (unregistered != null) {
      return "class "
          + unregistered
          + " is not registered; list it in MessageTypes.Builder.nested(...), in the same order"
          + " on both peers";
    }
    return reason(failure);
  }

  /** Returns why decoding failed; an unregistered class is reported as the payload naming it. */
  static String decodeReason(Throwable failure, CodecLimits limits) {
    FuryLimitException limit = find(failure, FuryLimitException.class);
    if (limit != null) {
      return limit.getMessage();
    }
    InsecureException insecure = find(failure, InsecureException.class);
    if (insecure != null
        && insecure.getMessage() != null
        && insecure.getMessage().contains("depth exceed")) {
      return "the payload nests objects deeper than the limit of "
          + limits.maxDepth()
          + " levels (CodecLimits.maxDepth)";
    }
    if (unknownTypeId(failure)) {
      return "the payload names a registered type id this side does not have (a peer with other"
          + " MessageTypes, or a corrupt payload)";
    }
    String unregistered = unregisteredClass(failure);
    if (unregistered != null) {
      return "the payload names class "
          + unregistered
          + ", which is not registered (a peer with other MessageTypes, or a hostile one)";
    }
    return reason(failure);
  }

  /**
   * Whether Fory failed reading a registered type id it does not know: Fory 1.6 looks the id up,
   * gets a null {@code TypeInfo} and dereferences it (a {@code NullPointerException} saying so),
   * or, with assertions on, fails an {@code assert} in {@code TypeResolver.readRegisteredTypeInfo}.
   */
  private static boolean unknownTypeId(Throwable failure) {
    int links = 0;
    for (Throwable t = failure; t != null && links < 32; t = t.getCause(), links++) {
      StackTraceElement[] trace = t.getStackTrace();
      boolean nullTypeInfo =
          t instanceof NullPointerException
              && t.getMessage() != null
              && t.getMessage().contains("\"typeInfo\" is null");
      boolean failedAssert =
          t instanceof AssertionError
              && trace.length > 0
              && trace[0].getClassName().equals("org.apache.fory.resolver.TypeResolver")
              && trace[0].getMethodName().equals("readRegisteredTypeInfo");
      if (nullTypeInfo || failedAssert) {
        return true;
      }
    }
    return false;
  }

  private static String unregisteredClass(Throwable failure) {
    InsecureException insecure = find(failure, InsecureException.class);
    if (insecure != null && insecure.getMessage() != null) {
      Matcher matcher = UNREGISTERED.matcher(insecure.getMessage());
      if (matcher.find()) {
        return matcher.group(1);
      }
    }
    return null;
  }

  /** Returns the first throwable of {@code kind} in the cause chain, or null. */
  private static <T extends Throwable> T find(Throwable failure, Class<T> kind) {
    int links = 0;
    for (Throwable t = failure; t != null && links < 32; t = t.getCause(), links++) {
      if (kind.isInstance(t)) {
        return kind.cast(t);
      }
    }
    return null;
  }

  /** Returns the innermost cause as {@code SimpleName: message}, on one line, shortened. */
  private static String reason(Throwable failure) {
    Throwable innermost = failure;
    for (int links = 0; innermost.getCause() != null && links < 32; links++) {
      innermost = innermost.getCause();
    }
    String message = innermost.getMessage();
    String text =
        innermost.getClass().getSimpleName()
            + (message == null || message.isBlank() ? "" : ": " + message.strip());
    // One line; without the identity of Fory's internal objects, which only varies between runs.
    text = text.replaceAll("\\s*\\R\\s*", " ").replaceAll(":? \\S+@\\p{XDigit}+$", "");
    return text.length() <= MAX_REASON_CHARS ? text : text.substring(0, MAX_REASON_CHARS - 1) + "…";
  }
}
