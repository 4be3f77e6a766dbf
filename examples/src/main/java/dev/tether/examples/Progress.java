package dev.tether.examples;

import java.io.Console;
import java.io.PrintStream;
import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The progress bar of the demo's measurements, drawn in seconds of the expected total. Shown only
 * when stdout is a terminal; otherwise (a pipe, a file, a test) every method does nothing, so the
 * output stays clean.
 *
 * <p>Not thread safe: one measuring thread drives it.
 */
final class Progress implements AutoCloseable {
  /** Redraws at most this often, however often the measurement reports. */
  private static final long REDRAW_NANOS = 100_000_000;

  private final ProgressBar bar;
  private final long startNanos;
  private long lastNanos;

  private Progress(ProgressBar bar) {
    this.bar = bar;
    this.startNanos = System.nanoTime();
  }

  /** Returns a bar on {@code out} if stdout is a terminal, or one that draws nothing. */
  static Progress start(PrintStream out, Duration expected) {
    if (!stdoutIsTerminal()) {
      return new Progress(null);
    }
    ProgressBar bar =
        new ProgressBarBuilder()
            .setTaskName("measuring")
            .setInitialMax(expected.toMillis())
            .setUnit(" s", 1000)
            .setStyle(ProgressBarStyle.ASCII)
            .setUpdateIntervalMillis(100)
            .setConsumer(new ConsoleProgressBarConsumer(out))
            .hideEta()
            .build();
    return new Progress(bar);
  }

  /**
   * Returns true if the standard streams are a terminal. JDK 22 and later return a console even
   * when they are redirected, and say whether it is a terminal with {@code Console.isTerminal()};
   * earlier ones return none.
   */
  static boolean stdoutIsTerminal() {
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (NoSuchMethodException e) {
      return true; // before JDK 22: a console means a terminal
    } catch (ReflectiveOperationException e) {
      return false;
    }
  }

  /** Names what is measured now, such as {@code json one-way}. */
  void phase(String name) {
    if (bar != null) {
      bar.setExtraMessage(" " + name);
    }
  }

  /** Reports that the measurement has got to {@code nowNanos}; cheap when called often. */
  void advanceTo(long nowNanos) {
    if (bar == null || nowNanos - lastNanos < REDRAW_NANOS) {
      return;
    }
    lastNanos = nowNanos;
    bar.stepTo(Math.min(bar.getMax(), (nowNanos - startNanos) / 1_000_000));
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.stepTo(bar.getMax());
      bar.close();
    }
  }
}
