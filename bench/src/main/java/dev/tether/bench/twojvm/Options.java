package dev.tether.bench.twojvm;

import java.util.HashMap;
import java.util.Map;

/** {@code --name value} command-line options; a name without a value is a flag. Not thread safe. */
final class Options {
  private final Map<String, String> values = new HashMap<>();

  Options(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --option, got " + args[i]);
      }
      String name = args[i].substring(2);
      if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
        values.put(name, args[++i]);
      } else {
        values.put(name, "true");
      }
    }
  }

  String get(String name, String otherwise) {
    return values.getOrDefault(name, otherwise);
  }

  /**
   * Returns the value of a required option.
   *
   * @throws IllegalArgumentException if it is missing
   */
  String require(String name) {
    String value = values.get(name);
    if (value == null) {
      throw new IllegalArgumentException("missing --" + name);
    }
    return value;
  }

  int getInt(String name, int otherwise) {
    return Integer.parseInt(get(name, Integer.toString(otherwise)));
  }

  boolean flag(String name) {
    return Boolean.parseBoolean(values.getOrDefault(name, "false"));
  }

  boolean has(String name) {
    return values.containsKey(name);
  }
}
