package dev.tether.bench.twojvm;

import java.util.Iterator;
import java.util.Map;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * One-line JSON for the results the child processes print and the harness reads. The children write
 * it by hand: starting Jackson costs a fresh JVM a few hundred milliseconds, for every measurement.
 */
final class Json {
  private Json() {}

  /** Writes maps, lists, numbers, booleans, null and strings; nothing else is needed. */
  static String write(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, out);
    return out.toString();
  }

  private static void write(Object value, StringBuilder out) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof Map<?, ?> map) {
      out.append('{');
      for (Iterator<? extends Map.Entry<?, ?>> i = map.entrySet().iterator(); i.hasNext(); ) {
        Map.Entry<?, ?> e = i.next();
        string(String.valueOf(e.getKey()), out);
        out.append(':');
        write(e.getValue(), out);
        if (i.hasNext()) {
          out.append(',');
        }
      }
      out.append('}');
    } else if (value instanceof Iterable<?> list) {
      out.append('[');
      for (Iterator<?> i = list.iterator(); i.hasNext(); ) {
        write(i.next(), out);
        if (i.hasNext()) {
          out.append(',');
        }
      }
      out.append(']');
    } else if (value instanceof Double d && (d.isNaN() || d.isInfinite())) {
      out.append("null"); // JSON has no NaN
    } else if (value instanceof Number || value instanceof Boolean) {
      out.append(value);
    } else {
      string(value.toString(), out);
    }
  }

  private static void string(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> read(String json) {
    return Holder.MAPPER.readValue(json, Map.class);
  }

  static ObjectMapper mapper() {
    return Holder.MAPPER;
  }

  /** Jackson, loaded only by the harness that reads. */
  private static final class Holder {
    static final ObjectMapper MAPPER = JsonMapper.builder().build();
  }
}
