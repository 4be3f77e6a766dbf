package dev.tether.examples;

import dev.tether.Server;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@code demo} command: an echo server in this JVM and an echo client in a second, real JVM,
 * talking over loopback TCP. Prints what each side does, prefixed {@code [server]}, {@code
 * [client]} or {@code [demo]}.
 */
final class Demo {
  /** How long the client JVM may take, start-up included, before the demo gives up on it. */
  static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

  private Demo() {}

  /** Runs the demo; returns the client's exit status, or 1 if it did not finish in time. */
  static int run(PrintStream out) throws IOException, InterruptedException {
    out.println("[demo]   starting an echo server in this JVM");
    Server<Echo, Echo> server =
        EchoServer.start(
            new InetSocketAddress(EchoServer.DEFAULT_HOST, 0),
            List.of(),
            "demo",
            event -> out.println("[server] " + event));
    int status;
    try {
      InetSocketAddress address = (InetSocketAddress) server.address();
      out.println("[server] listening on " + EchoServer.hostPort(address));
      status = runClient(address, out);
    } finally {
      out.println("[demo]   stopping the server");
      server.close();
      out.println("[server] stopped");
    }
    out.println(status == 0 ? "[demo]   done" : "[demo]   failed: client exit status " + status);
    return status;
  }

  private static int runClient(InetSocketAddress server, PrintStream out)
      throws IOException, InterruptedException {
    List<String> command =
        List.of(
            javaBinary(),
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "echo-client",
            "--host",
            server.getAddress().getHostAddress(),
            "--port",
            Integer.toString(server.getPort()));
    out.println("[demo]   starting a client JVM: echo-client --port " + server.getPort());
    Process client = new ProcessBuilder(command).redirectErrorStream(true).start();
    Thread pump =
        new Thread(
            () -> copyLines(client.getInputStream(), out, "[client] "), "demo-client-output");
    pump.setDaemon(true);
    pump.start();
    if (!client.waitFor(CLIENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      client.destroyForcibly();
      out.println("[demo]   the client did not finish within " + CLIENT_TIMEOUT.toSeconds() + " s");
      return 1;
    }
    pump.join(Duration.ofSeconds(5).toMillis());
    out.println("[demo]   client JVM exited with status " + client.exitValue());
    return client.exitValue();
  }

  /** Returns the java launcher running this JVM, so the client runs on the same Java. */
  private static String javaBinary() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  private static void copyLines(InputStream in, PrintStream out, String prefix) {
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        out.println(prefix + line);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
