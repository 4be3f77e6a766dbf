package dev.tether.bench.twojvm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM of the harness: its standard output read line by line on a daemon thread, its
 * standard error in a log file. Used by one thread.
 */
final class Child implements AutoCloseable {
  private static final String EOF = "\u0000eof";

  private final String name;
  private final Process process;
  private final Path log;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final Writer stdin;

  private Child(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII);
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // the process ended
              } finally {
                lines.add(EOF);
              }
            },
            name + "-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code command}, standard error to {@code log}. */
  static Child start(String name, List<String> command, Path log) throws IOException {
    Process process =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.to(log.toFile())).start();
    return new Child(name, process, log);
  }

  /**
   * Returns the rest of the first line that starts with {@code prefix}, skipping other lines.
   *
   * @throws IllegalStateException if the process ended or the time ran out first
   */
  String await(String prefix, long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (true) {
      long left = deadline - System.nanoTime();
      String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
      if (line == null) {
        throw new IllegalStateException(
            name + " printed no " + prefix.trim() + " within " + timeoutMillis + " ms" + tail());
      }
      if (line.equals(EOF)) {
        throw new IllegalStateException(name + " ended before " + prefix.trim() + tail());
      }
      if (line.startsWith(prefix)) {
        return line.substring(prefix.length());
      }
    }
  }

  /** Returns the process id. */
  long pid() {
    return process.pid();
  }

  /** Writes one line to the process's standard input. */
  void send(String line) throws IOException {
    stdin.write(line + "\n");
    stdin.flush();
  }

  /** Returns the last lines of standard error, to explain a failure. */
  String tail() {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      if (all.isEmpty()) {
        return "";
      }
      return "; its stderr ends: "
          + String.join(" | ", all.subList(Math.max(0, all.size() - 6), all.size()));
    } catch (IOException e) {
      return "";
    }
  }

  /** Waits for the process to end, at most {@code millis}; true if it did. */
  boolean waitFor(long millis) throws InterruptedException {
    return process.waitFor(millis, TimeUnit.MILLISECONDS);
  }

  /** Ends the process if it is still running, and deletes its log unless asked to keep it. */
  void close(boolean keepLog) throws InterruptedException {
    try {
      stdin.close();
    } catch (IOException e) {
      // already gone
    }
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroy();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
    if (!keepLog) {
      try {
        Files.deleteIfExists(log);
      } catch (IOException e) {
        // a stray log file is harmless
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    close(true);
  }
}
