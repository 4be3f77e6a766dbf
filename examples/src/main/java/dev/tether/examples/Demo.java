package dev.tether.examples;

import dev.tether.Server;
import dev.tether.TlsConfig;
import dev.tether.examples.Args.UsageException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The {@code demo} command, in two parts. First, one connection's life: an echo server in this JVM
 * and an echo client in a second, real JVM, talking over loopback TCP, each printing what it does
 * ({@code [server]}, {@code [client]}, {@code [demo]}), with TLS if asked ({@code --tls}: the
 * server presents a throwaway certificate that the client pins; {@code --mtls}: the client presents
 * one too, which the server trusts). Then, to answer "which codec should I pick?", every codec on
 * the class path runs the same short workload ({@link CodecComparison}), and the results are
 * printed as a table and drawn as a PNG chart.
 */
final class Demo {
  static final Set<String> SWITCHES = Set.of("tls", "mtls");

  /** How long the client JVM may take, start-up included, before the demo gives up on it. */
  static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

  static final Set<String> FLAGS = Set.of("duration-ms", "size", "codecs", "transport", "chart");

  static final String FLAG_HELP =
      """
      --duration-ms T   measured time per codec and workload, after a warm-up of a quarter
                        of it (default 1500: about 40 s in all for five codecs on 2 cores)
      --size B          payload bytes per message (default 100)
      --codecs a,b      codecs to compare (default: every codec on the class path)
      --transport T     tcp or uds (default tcp)
      --chart FILE      where to write the chart (default tether-codecs.png)
      --tls             the first part over TLS: the server makes a throwaway certificate, the
                        client pins it
      --mtls            over mutual TLS: the client presents a throwaway certificate too
      """;

  private Demo() {}

  /**
   * Runs both parts; returns 0 if the client of the first part succeeded and the comparison ran.
   *
   * @throws UsageException if a flag is out of range or names an unknown codec or transport
   */
  static int run(Args args, PrintStream out) throws IOException, InterruptedException {
    CodecComparison.Options options = options(args);
    Path chart = Path.of(args.string("chart", "tether-codecs.png"));
    int status = runConnection(args, out);
    if (status != 0) {
      return status;
    }
    out.println();
    out.printf(
        "[codecs] which codec should I pick? %d codecs, each %d ms one-way and %d ms of round"
            + " trips, %d-byte payloads over %s%n",
        options.codecs().size(),
        options.duration().toMillis(),
        options.duration().toMillis(),
        options.payloadBytes(),
        options.uds() ? "a Unix domain socket" : "loopback TCP");
    List<CodecResult> results;
    try (Progress progress = Progress.start(out, options.total())) {
      results = CodecComparison.run(options, progress);
    }
    out.println();
    out.print(ComparisonReport.table(results));
    String title = options.payloadBytes() + "-byte payloads, " + (options.uds() ? "UDS" : "TCP");
    Path written = ComparisonReport.chart(results, title, chart);
    out.println();
    out.println("[codecs] chart written to " + written.toAbsolutePath());
    out.println(
        "[codecs] bytes is the transport alone; json and cbor speak to any language; kryo and"
            + " fury are Java only. Both ends share this machine's cores: compare rows, not"
            + " machines.");
    return 0;
  }

  private static CodecComparison.Options options(Args args) {
    int durationMillis = args.integer("duration-ms", 1500, 10, 600_000);
    int size = args.integer("size", 100, 0, 8 * 1024 * 1024);
    String transport = args.string("transport", "tcp");
    if (!transport.equals("tcp") && !transport.equals("uds")) {
      throw new UsageException("--transport must be tcp or uds, was '" + transport + "'");
    }
    List<String> available = CodecComparison.availableCodecs();
    List<String> codecs = args.list("codecs");
    for (String codec : codecs) {
      if (!available.contains(codec)) {
        throw new UsageException("unknown codec '" + codec + "'; available: " + available);
      }
    }
    return new CodecComparison.Options(
        Duration.ofMillis(durationMillis),
        size,
        codecs.isEmpty() ? available : codecs,
        transport.equals("uds"));
  }

  /** Runs the first part; returns the client's exit status, or 1 if it did not finish in time. */
  static int runConnection(Args args, PrintStream out) throws IOException, InterruptedException {
    boolean mtls = args.has("mtls");
    boolean tls = mtls || args.has("tls");
    List<String> clientFlags = new ArrayList<>();
    TlsConfig serverTls = null;
    Path keys = null;
    if (tls) {
      ThrowawayCertificate serverCertificate =
          ThrowawayCertificate.generate("tether-echo", List.of());
      TlsConfig.Builder builder = serverCertificate.presenting();
      out.println(
          "[demo]   TLS: the server presents a throwaway certificate, sha256 "
              + serverCertificate.fingerprint());
      clientFlags.addAll(List.of("--tls", "--pin", serverCertificate.fingerprint()));
      if (mtls) {
        keys = Files.createTempDirectory("tether-demo-");
        ThrowawayCertificate clientCertificate =
            ThrowawayCertificate.generate("echo-client", List.of());
        Path[] pem = clientCertificate.writePem(keys, "client");
        builder.trustCertificates(pem[1]).requireClientCertificate();
        clientFlags.addAll(List.of("--key", pem[0].toString(), "--cert", pem[1].toString()));
        out.println(
            "[demo]   mutual TLS: the client presents a throwaway certificate too, sha256 "
                + clientCertificate.fingerprint());
      }
      serverTls = builder.build();
    }
    out.println("[demo]   starting an echo server in this JVM");
    Server<Echo, Echo> server =
        EchoServer.start(
            new InetSocketAddress(EchoServer.DEFAULT_HOST, 0),
            List.of(),
            "demo",
            serverTls,
            event -> out.println("[server] " + event));
    int status;
    try {
      InetSocketAddress address = (InetSocketAddress) server.address();
      out.println(
          "[server] listening on " + EchoServer.hostPort(address) + (tls ? " (TLS only)" : ""));
      status = runClient(address, clientFlags, out);
    } finally {
      out.println("[demo]   stopping the server");
      server.close();
      out.println("[server] stopped");
      deleteQuietly(keys);
    }
    out.println(status == 0 ? "[demo]   done" : "[demo]   failed: client exit status " + status);
    return status;
  }

  private static int runClient(InetSocketAddress server, List<String> flags, PrintStream out)
      throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                javaBinary(),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "echo-client",
                "--host",
                server.getAddress().getHostAddress(),
                "--port",
                Integer.toString(server.getPort())));
    command.addAll(flags);
    out.println(
        "[demo]   starting a client JVM: echo-client --port "
            + server.getPort()
            + (flags.isEmpty() ? "" : " " + String.join(" ", flags)));
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

  /** Deletes the demo's key files; they were throwaway from the start. */
  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (var files = Files.list(dir)) {
      for (Path file : files.toList()) {
        Files.deleteIfExists(file);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // temporary files: the system cleans them up eventually
    }
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
