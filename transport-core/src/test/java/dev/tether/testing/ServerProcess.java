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
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
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
import java.util.function.LongSupplier;
import javax.management.JMException;
import javax.management.ObjectName;

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
 * KiB, once freed native memory is given back). Its log goes to standard error, which the test
 * inherits.
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
    return launch(
        maxHeapMegabytes,
        List.of(
            Main.class.getName(),
            heartbeat == null ? "-" : Long.toString(heartbeat.toMillis()),
            idleTimeout == null ? "-" : Long.toString(idleTimeout.toMillis())),
        jvmOptions);
  }

  /**
   * Starts the raw floor of a heartbeat: a JVM whose one thread answers every byte it reads on
   * plain NIO socket channels with the same bytes, no protocol, no timers ({@link RawEcho}). It
   * takes the same commands, where they apply ({@code cpu}, {@code rss}, {@code threads}, {@code
   * connections}).
   */
  public static ServerProcess startRawEcho(int maxHeapMegabytes) throws IOException {
    return launch(maxHeapMegabytes, List.of(RawEcho.class.getName()));
  }

  private static ServerProcess launch(
      int maxHeapMegabytes, List<String> mainAndArgs, String... jvmOptions) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>();
    command.add(java);
    command.add("-Xmx" + maxHeapMegabytes + "m");
    command.add("-XX:+UseG1GC");
    command.addAll(List.of(jvmOptions));
    // -Dtether.server.jvmOptions="-XX:StartFlightRecording=..." profiles the server JVM
    String extra = System.getProperty("tether.server.jvmOptions", "").trim();
    if (!extra.isEmpty()) {
      command.addAll(List.of(extra.split("\\s+")));
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.addAll(mainAndArgs);
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
      answerCommands(server.address(), () -> server.connections().size());
      server.close(Duration.ofSeconds(5));
      System.exit(0);
    }
  }

  /**
   * The raw heartbeat floor: one thread, one selector, every byte read written straight back. What
   * this process spends answering N connections' pings is what the kernel and NIO cost for that
   * traffic, with no protocol at all; a Tether server answering the same PINGs is compared with it.
   */
  public static final class RawEcho {
    private RawEcho() {}

    public static void main(String[] args) throws Exception {
      Selector selector = Selector.open();
      ServerSocketChannel listener = ServerSocketChannel.open();
      listener.bind(new InetSocketAddress("127.0.0.1", 0), 4096);
      listener.configureBlocking(false);
      listener.register(selector, SelectionKey.OP_ACCEPT);
      AtomicLong open = new AtomicLong();
      Thread loop = new Thread(() -> echo(selector, listener, open), "raw-echo");
      loop.setDaemon(true);
      loop.start();
      answerCommands(listener.getLocalAddress(), open::get);
      System.exit(0);
    }

    private static void echo(Selector selector, ServerSocketChannel listener, AtomicLong open) {
      ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
      try {
        while (true) {
          selector.select();
          for (SelectionKey key : selector.selectedKeys()) {
            if (key.isAcceptable()) {
              for (SocketChannel c = listener.accept(); c != null; c = listener.accept()) {
                c.configureBlocking(false);
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                c.register(selector, SelectionKey.OP_READ);
                open.incrementAndGet();
              }
            } else if (!echoOnce((SocketChannel) key.channel(), buffer)) {
              key.cancel();
              key.channel().close();
              open.decrementAndGet();
            }
          }
          selector.selectedKeys().clear();
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Writes back what one read got; false once the peer has gone. */
    private static boolean echoOnce(SocketChannel c, ByteBuffer buffer) {
      buffer.clear();
      try {
        if (c.read(buffer) < 0) {
          return false;
        }
        buffer.flip();
        while (buffer.hasRemaining() && c.write(buffer) > 0) {
          // a ping of a few bytes goes at once; a full socket just drops the rest
        }
        return true;
      } catch (IOException e) {
        return false;
      }
    }
  }

  /**
   * Tells the parent the port, then answers its commands, one a line on standard input, until the
   * parent closes it.
   */
  private static void answerCommands(SocketAddress address, LongSupplier connections)
      throws IOException {
    System.out.println("port " + ((InetSocketAddress) address).getPort());
    System.out.flush();
    BufferedReader commands =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String command = commands.readLine(); command != null; command = commands.readLine()) {
      System.out.println(command + " " + answer(command.trim(), connections));
      System.out.flush();
    }
  }

  private static long answer(String command, LongSupplier connections) {
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
        return connections.getAsLong();
      }
      case "cpu" -> {
        return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
      }
      case "rss" -> {
        trimNativeHeap();
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

  /**
   * Gives the C library's cached free memory back to the system ({@code jcmd
   * System.trim_native_heap}), so that the resident set counts memory in use. The JIT's work areas,
   * freed after each compilation, otherwise stay resident: a server JVM whose code warms up while
   * the test watches it idle (heartbeats are its only traffic) grew by up to 18 MiB that way in a
   * 10 s period, as much as a leak, and with no connection holding any of it.
   */
  private static void trimNativeHeap() {
    try {
      ManagementFactory.getPlatformMBeanServer()
          .invoke(
              new ObjectName("com.sun.management:type=DiagnosticCommand"),
              "systemTrimNativeHeap",
              new Object[] {new String[0]},
              new String[] {String[].class.getName()});
    } catch (JMException e) {
      throw new IllegalStateException("cannot trim the native heap: " + e, e);
    }
  }
}
