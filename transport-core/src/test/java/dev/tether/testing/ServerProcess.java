package dev.tether.testing;

import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A Tether server in a JVM of its own, started with this JVM's {@code java} and class path, so that
 * a test can load it, measure it, freeze it ({@code SIGSTOP}) or kill it ({@code SIGKILL}) apart
 * from itself. The server speaks {@link TestTypes} with codec {@code test} and answers each request
 * with a {@link Msg} carrying the same text and sequence number, prefixed with {@code "n=<count>
 * "}: how many requests that connection had handled before, so the client sees the order the server
 * handled them in. A request whose text is {@code sleep:<ms>} is answered after that many
 * milliseconds.
 *
 * <p>The test talks to it through its standard input, one command a line; each answer is one line
 * on its standard output: {@code gc} (a full GC, then {@code heap <bytes used>}), {@code peak}
 * ({@code peak <bytes>}: the most the heap pools held since start, garbage included), {@code
 * threads}, {@code connections}, {@code cpu} (its CPU time in ns), {@code rss} (resident set, in
 * KiB). Its log goes to standard error, which the test inherits.
 */
public final class ServerProcess implements AutoCloseable {
  private final Process process;
  private final BufferedReader out;
  private final PrintStream in;
  private final InetSocketAddress address;

  private ServerProcess(Process process) throws IOException {
    this.process = process;
    this.out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
    String line = out.readLine();
    if (line == null || !line.startsWith("port ")) {
      process.destroyForcibly();
      throw new IllegalStateException("the server process did not start: " + line);
    }
    this.address = new InetSocketAddress("127.0.0.1", Integer.parseInt(line.substring(5).trim()));
  }

  /**
   * Starts a server JVM with a heap of {@code maxHeapMegabytes} and the given heartbeat and idle
   * timeout (null: the defaults), and waits until it listens.
   */
  public static ServerProcess start(
      int maxHeapMegabytes, Duration heartbeat, Duration idleTimeout, String... jvmOptions)
      throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>();
    command.add(java);
    command.add("-Xmx" + maxHeapMegabytes + "m");
    command.add("-XX:+UseG1GC");
    command.addAll(List.of(jvmOptions));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.add(heartbeat == null ? "-" : Long.toString(heartbeat.toMillis()));
    command.add(idleTimeout == null ? "-" : Long.toString(idleTimeout.toMillis()));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.redirectError(ProcessBuilder.Redirect.INHERIT);
    return new ServerProcess(builder.start());
  }

  public InetSocketAddress address() {
    return address;
  }

  public long pid() {
    return process.pid();
  }

  public Process process() {
    return process;
  }

  /** Sends a command and returns the number its answer carries. */
  public synchronized long ask(String command) throws IOException {
    in.println(command);
    String line = out.readLine();
    if (line == null) {
      throw new IOException("the server process ended before answering " + command);
    }
    return Long.parseLong(line.substring(line.indexOf(' ') + 1).trim());
  }

  /** Sends {@code SIGSTOP} or {@code SIGCONT} (or any other signal) to the process. */
  public void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + name + " " + pid() + " failed");
    }
  }

  /** Resumes the process if it was stopped, then kills it and waits for it to end. */
  @Override
  public void close() throws IOException, InterruptedException {
    if (process.isAlive()) {
      try {
        signal("CONT");
      } catch (IOException e) {
        // ended meanwhile
      }
      process.destroyForcibly();
    }
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** The server program. */
  public static final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
      TetherConfig.Builder config = TetherConfig.builder().codecs("test");
      if (!args[0].equals("-")) {
        config.heartbeatInterval(Duration.ofMillis(Long.parseLong(args[0])));
      }
      if (!args[1].equals("-")) {
        config.idleTimeout(Duration.ofMillis(Long.parseLong(args[1])));
      }
      Map<Object, AtomicLong> handled = new ConcurrentHashMap<>();
      Server<Object, Object> server =
          Tether.server(TestTypes.TYPES)
              .config(config.build())
              .onRequest(
                  (connection, request) -> {
                    Msg m = (Msg) request;
                    if (m.text().startsWith("sleep:")) {
                      LockSupport.parkNanos(
                          TimeUnit.MILLISECONDS.toNanos(Long.parseLong(m.text().substring(6))));
                    }
                    long n = handled.computeIfAbsent(connection, c -> new AtomicLong()).get();
                    handled.get(connection).incrementAndGet();
                    return new Msg("n=" + n + " " + m.text(), m.seq());
                  })
              .onClose((connection, cause) -> handled.remove(connection))
              .bind(new InetSocketAddress("127.0.0.1", 0));
      System.out.println("port " + ((InetSocketAddress) server.address()).getPort());
      System.out.flush();
      BufferedReader commands =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String command = commands.readLine(); command != null; command = commands.readLine()) {
        System.out.println(command + " " + answer(command.trim(), server));
        System.out.flush();
      }
      server.close(Duration.ofSeconds(5));
      System.exit(0);
    }

    private static long answer(String command, Server<?, ?> server) {
      switch (command) {
        case "gc" -> {
          return Heap.usedAfterGc();
        }
        case "peak" -> {
          long peak = 0;
          for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
              peak += pool.getPeakUsage().getUsed();
            }
          }
          return peak;
        }
        case "threads" -> {
          return ManagementFactory.getThreadMXBean().getThreadCount();
        }
        case "connections" -> {
          return server.connections().size();
        }
        case "cpu" -> {
          return ProcessHandle.current()
              .info()
              .totalCpuDuration()
              .map(Duration::toNanos)
              .orElse(-1L);
        }
        case "rss" -> {
          try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
              if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
              }
            }
            return -1;
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
        default -> {
          return -1;
        }
      }
    }
  }
}
