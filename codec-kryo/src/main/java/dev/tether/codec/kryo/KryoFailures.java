package dev.tether.codec.kryo;

import com.esotericsoftware.kryo.KryoException;
import dev.tether.codec.CodecLimits;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns what Kryo throws into one line for a {@link dev.tether.codec.CodecException}: the cause,
 * then where in the object it happened. Kryo's own messages span several lines (a "Serialization
 * trace:" of field names, a hint to call {@code kryo.register}); a Tether user registers classes
 * through {@code MessageTypes}, so the hint is rewritten to say that.
 */
final class KryoFailures {
  private static final String UNREGISTERED = "Class is not registered: ";

  /** Trace entries shown; a longer trace keeps its innermost and outermost ones. */
  private static final int MAX_TRACE = 6;

  private KryoFailures() {}

  private static final String MAX_DEPTH = "Max depth exceeded: ";

  /** Returns the reason for {@code failure} on one line, such as {@code "… (in data (Blob))"}. */
  static String reason(Throwable failure, CodecLimits limits) {
    String message = failure.getMessage();
    if (message == null) {
      return failure.getClass().getName();
    }
    if (!(failure instanceof KryoException)) {
      message = failure.getClass().getName() + ": " + message;
    }
    StringBuilder reason = new StringBuilder();
    List<String> trace = new ArrayList<>();
    boolean inTrace = false;
    for (String line : message.split("\n")) {
      String text = line.strip();
      if (text.isEmpty() || text.startsWith("Note: To register this class use")) {
        continue;
      }
      if (text.equals("Serialization trace:")) {
        inTrace = true;
      } else if (inTrace) {
        trace.add(text);
      } else {
        reason.append(reason.length() == 0 ? "" : "; ").append(rewrite(text, limits));
      }
    }
    if (trace.size() > MAX_TRACE) {
      // A message nested 200 levels deep fails with 200 trace lines: keep both ends.
      int omitted = trace.size() - MAX_TRACE + 1;
      List<String> ends = new ArrayList<>(trace.subList(0, MAX_TRACE / 2));
      ends.add("… " + omitted + " more");
      ends.addAll(trace.subList(trace.size() - (MAX_TRACE / 2 - 1), trace.size()));
      trace = ends;
    }
    if (!trace.isEmpty()) {
      reason.append(" (in ").append(String.join(" < ", trace)).append(')');
    }
    return reason.toString();
  }

  private static String rewrite(String text, CodecLimits limits) {
    if (text.startsWith(MAX_DEPTH)) {
      return "the message nests deeper than the limit of "
          + limits.maxDepth()
          + " levels (CodecLimits.maxDepth)";
    }
    int at = text.indexOf(UNREGISTERED);
    if (at < 0) {
      return text;
    }
    String type = text.substring(at + UNREGISTERED.length()).strip();
    if (type.startsWith("java.") || type.startsWith("javax.") || type.startsWith("jdk.")) {
      // Listing a JDK class in nested(...) would not help: its serializer could not read it back
      // (RegularEnumSet, Collections.synchronizedList, ...). Say what to use instead.
      return "class "
          + type
          + " is not carried by the kryo codec; use one of the JDK classes it registers (ArrayList,"
          + " HashSet, HashMap, List.of, EnumSet, Optional, java.time, ...; see its README), or"
          + " convert to one";
    }
    return "class "
        + type
        + " is not registered; list it in MessageTypes.Builder.nested(...), in the same order on"
        + " both peers";
  }
}
