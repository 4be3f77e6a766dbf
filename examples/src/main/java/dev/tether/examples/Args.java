package dev.tether.examples;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The flags of one subcommand, parsed from {@code --name value} or {@code --name=value}, and
 * switches, {@code --name} alone. There are no positional arguments. Immutable.
 */
final class Args {
  private final Map<String, String> values;

  private Args(Map<String, String> values) {
    this.values = values;
  }

  /**
   * Parses {@code args} allowing only the flags in {@code known} (names without the dashes).
   *
   * @throws UsageException if a flag is unknown, repeated, or has no value, or an argument is not a
   *     flag
   */
  static Args parse(List<String> args, Set<String> known) {
    return parse(args, known, Set.of());
  }

  /**
   * Parses {@code args} allowing the flags in {@code known}, which take a value, and the switches
   * in {@code switches}, which take none.
   *
   * @throws UsageException if a flag is unknown, repeated, or has no value, a switch has one, or an
   *     argument is not a flag
   */
  static Args parse(List<String> args, Set<String> known, Set<String> switches) {
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new UsageException("unexpected argument '" + arg + "'");
      }
      int equals = arg.indexOf('=');
      String name = arg.substring(2, equals < 0 ? arg.length() : equals);
      if (switches.contains(name) && equals >= 0 && !known.contains(name)) {
        throw new UsageException("--" + name + " takes no value");
      }
      if (switches.contains(name) && equals < 0) {
        if (values.put(name, "true") != null) {
          throw new UsageException("--" + name + " given twice");
        }
        continue;
      }
      if (!known.contains(name)) {
        throw new UsageException("unknown flag --" + name);
      }
      String value;
      if (equals >= 0) {
        value = arg.substring(equals + 1);
      } else if (i + 1 < args.size()) {
        value = args.get(++i);
      } else {
        throw new UsageException("--" + name + " needs a value");
      }
      if (values.put(name, value) != null) {
        throw new UsageException("--" + name + " given twice");
      }
    }
    return new Args(values);
  }

  /** Returns true if the switch was given. */
  boolean has(String name) {
    return values.containsKey(name);
  }

  /** Returns true if the flag (or switch) was given, with whatever value. */
  boolean given(String name) {
    return values.containsKey(name);
  }

  /** Returns the flag's value, or {@code defaultValue} if it was not given. */
  String string(String name, String defaultValue) {
    return values.getOrDefault(name, defaultValue);
  }

  /**
   * Returns the flag's value as an int in {@code min..max}, or {@code defaultValue}.
   *
   * @throws UsageException if the value is not a decimal integer in range
   */
  int integer(String name, int defaultValue, int min, int max) {
    String value = values.get(name);
    if (value == null) {
      return defaultValue;
    }
    try {
      int parsed = Integer.parseInt(value);
      if (parsed >= min && parsed <= max) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // reported below, with the range
    }
    throw new UsageException(
        "--" + name + " must be an integer in " + min + ".." + max + ", was '" + value + "'");
  }

  /** Returns the flag's comma-separated values, or an empty list if it was not given. */
  List<String> list(String name) {
    String value = values.get(name);
    if (value == null) {
      return List.of();
    }
    return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /** The command line is wrong; the message says how, and the caller prints the usage text. */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }
}
