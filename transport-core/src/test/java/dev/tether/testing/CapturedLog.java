package dev.tether.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Captures what the process writes to {@code System.err}, where slf4j-simple logs, line by line,
 * while it still reaches the console; {@link #close} stops capturing.
 *
 * <p>Thread safe.
 */
public final class CapturedLog implements AutoCloseable {
  /** An estimate of what a captured line costs beyond its characters: a String and its array. */
  private static final int LINE_OVERHEAD_BYTES = 64;

  private final PrintStream original = System.err;
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
  private final List<String> lines = new ArrayList<>();
  private long heldBytes;

  public CapturedLog() {
    System.setErr(new PrintStream(new Tee(original), true, StandardCharsets.UTF_8));
  }

  /** Returns every whole line captured so far. */
  public synchronized List<String> lines() {
    return List.copyOf(lines);
  }

  /**
   * Returns the lines that name the peer at {@code 127.0.0.1:port} (the port alone, not as the
   * prefix of a longer one).
   */
  public List<String> linesNaming(int port) {
    Pattern peer = Pattern.compile("127\\.0\\.0\\.1:" + port + "(?!\\d)");
    return lines().stream().filter(line -> peer.matcher(line).find()).toList();
  }

  /** Returns about how much heap the captured lines hold, for tests that measure the heap. */
  public synchronized long heldBytes() {
    return heldBytes;
  }

  private synchronized void capture(int b) {
    if (b == '\n') {
      String line = partial.toString(StandardCharsets.UTF_8);
      partial.reset();
      lines.add(line);
      heldBytes += line.length() + LINE_OVERHEAD_BYTES;
    } else {
      partial.write(b);
    }
  }

  @Override
  public void close() {
    System.setErr(original);
  }

  private final class Tee extends OutputStream {
    private final OutputStream console;

    Tee(OutputStream console) {
      this.console = console;
    }

    @Override
    public void write(int b) {
      capture(b);
      try {
        console.write(b);
      } catch (IOException e) {
        // the copy is what matters
      }
    }

    @Override
    public void write(byte[] b, int off, int len) {
      for (int i = off; i < off + len; i++) {
        capture(b[i]);
      }
      try {
        console.write(b, off, len);
      } catch (IOException e) {
        // the copy is what matters
      }
    }

    @Override
    public void flush() throws IOException {
      console.flush();
    }
  }
}
