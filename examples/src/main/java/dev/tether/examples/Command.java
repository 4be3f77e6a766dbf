package dev.tether.examples;

import java.io.PrintStream;
import java.util.Set;

/**
 * One subcommand of {@code tether-examples.jar}: its name, what it does in one line, the flags it
 * takes with their help text, and the code that runs it. Immutable.
 *
 * @param name what the user types, such as {@code chat}
 * @param summary one line for the command list
 * @param flagHelp one line per flag, {@code --name VALUE what it does (default ...)}
 * @param flags the names of the flags the command accepts that take a value, without dashes
 * @param switches the names of the flags that take no value
 * @param runner runs the command
 */
record Command(
    String name,
    String summary,
    String flagHelp,
    Set<String> flags,
    Set<String> switches,
    Runner runner) {
  /** A command whose flags all take a value. */
  Command(String name, String summary, String flagHelp, Set<String> flags, Runner runner) {
    this(name, summary, flagHelp, flags, Set.of(), runner);
  }

  /** Runs a command with its parsed flags. */
  @FunctionalInterface
  interface Runner {
    /**
     * Returns the exit status: 0 success, 1 failure.
     *
     * @throws Exception for a failure the caller reports on one line
     */
    int run(Args args, PrintStream out, PrintStream err) throws Exception;
  }

  /** Returns the text {@code --help} prints. */
  String usage() {
    StringBuilder text =
        new StringBuilder("usage: java -jar tether-examples.jar ")
            .append(name)
            .append(flags.isEmpty() && switches.isEmpty() ? "" : " [--flag value ...]")
            .append("\n\n")
            .append(summary)
            .append('\n');
    if (!flagHelp.isEmpty()) {
      text.append("\nflags:\n").append(flagHelp.stripTrailing().indent(2));
    }
    return text.append("\nexit status: 0 success, 1 failure, 2 bad command line\n").toString();
  }
}
