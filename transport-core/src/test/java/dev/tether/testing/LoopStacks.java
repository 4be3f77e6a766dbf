package dev.tether.testing;

/**
 * The stacks of this JVM's Tether threads, for a failure to tell a loop that waited from one that
 * ran.
 */
public final class LoopStacks {
  private LoopStacks() {}

  /** Returns every {@code tether-} thread's name, state and stack, one frame a line. */
  public static String describe() {
    StringBuilder out = new StringBuilder();
    Thread.getAllStackTraces()
        .forEach(
            (thread, stack) -> {
              if (thread.getName().startsWith("tether-")) {
                out.append("\n").append(thread.getName()).append(' ').append(thread.getState());
                for (StackTraceElement frame : stack) {
                  out.append("\n\tat ").append(frame);
                }
              }
            });
    return out.toString();
  }
}
