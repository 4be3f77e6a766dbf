package dev.tether.examples;

import dev.tether.Connection;
import dev.tether.ConnectionClosedException;
import dev.tether.ConnectionMetrics;
import dev.tether.GoAwayCode;
import dev.tether.RequestErrorCode;
import dev.tether.RequestFailedException;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.TetherException;
import dev.tether.TlsConfig;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The echo client: sends a few DATA echoes and checks they come back, makes one request that
 * succeeds and one that fails on purpose, reports the codec and round-trip time, and closes
 * gracefully.
 */
final class EchoClient {
  static final Set<String> FLAGS =
      EchoServer.union(Set.of("host", "port", "codecs", "count"), TlsOptions.CLIENT_FLAGS);

  /** Switches, which take no value. */
  static final Set<String> SWITCHES =
      EchoServer.union(Set.of("reconnect"), TlsOptions.CLIENT_SWITCHES);

  /** How long any one step may take before the client gives up. */
  static final Duration STEP_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Short, so that the client sends a heartbeat PING as soon as it falls idle and can report the
   * measured round trip before it closes.
   */
  static final Duration HEARTBEAT_INTERVAL = Duration.ofMillis(100);

  /**
   * Echoes sent ahead of those received. Bounded so that a large {@code --count} cannot fill both
   * directions' queues at once, which would leave both sides waiting in {@code send}.
   */
  private static final int WINDOW = 256;

  /** Runs of up to this many echoes print each one; longer runs print a summary. */
  private static final int PRINTED_ECHOES = 10;

  private EchoClient() {}

  /**
   * Runs the {@code echo-client} command.
   *
   * @return 0 if every step succeeded and the connection closed normally, 1 otherwise (with the
   *     reason on {@code err})
   */
  static int run(Args args, PrintStream out, PrintStream err) throws InterruptedException {
    String host = args.string("host", EchoServer.DEFAULT_HOST);
    int port = args.integer("port", EchoServer.DEFAULT_PORT, 1, 65535);
    int count = args.integer("count", 3, 0, 100_000_000);
    if (args.has("reconnect")) {
      EchoStream.Tally tally =
          new EchoStream(TlsOptions.client(args))
              .run(
                  new InetSocketAddress(host, port),
                  Main.codecs(args),
                  count,
                  n -> {},
                  () -> {},
                  () -> {},
                  err);
      out.println(tally.line());
      return tally.perfect() ? 0 : 1;
    }
    TetherConfig config =
        TetherConfig.builder()
            .codecs(Main.codecs(args))
            .heartbeatInterval(HEARTBEAT_INTERVAL)
            .connectTimeout(STEP_TIMEOUT)
            .requestTimeout(STEP_TIMEOUT)
            .build();
    TlsConfig tls = TlsOptions.client(args);

    Connection<Echo, Echo> connection;
    try {
      var builder = Tether.<Echo, Echo>client(EchoProtocol.TYPES).config(config);
      if (tls != null) {
        builder.tls(tls);
      }
      connection = builder.connect(new InetSocketAddress(host, port));
    } catch (TetherException e) {
      err.println("echo-client: " + describe(e));
      return 1;
    }
    try {
      out.println(
          "connected to "
              + EchoServer.hostPort(connection.peer().address())
              + " (server '"
              + connection.peer().serverName()
              + "'), codec "
              + connection.peer().codec());
      if (tls != null) {
        var server = connection.peer().certificates().get(0);
        out.println(
            "tls      "
                + connection.peer().tlsProtocol()
                + ", server certificate "
                + server.getSubjectX500Principal().getName()
                + ", sha256 "
                + ThrowawayCertificate.fingerprint(server));
      }
      exchange(connection, count, out);
    } catch (TetherException | EchoMismatch e) {
      err.println("echo-client: " + describe(e));
      connection.close();
      return 1;
    }
    connection.close();
    ConnectionClosedException end = connection.onClose().toCompletableFuture().join();
    if (end.code() != GoAwayCode.NORMAL) {
      err.println("echo-client: connection did not close cleanly: " + end.getMessage());
      return 1;
    }
    out.println("closed gracefully");
    return 0;
  }

  private static void exchange(Connection<Echo, Echo> connection, int count, PrintStream out)
      throws InterruptedException {
    echoes(connection, count, out);
    requests(connection, count, out);
    heartbeat(connection, out);
  }

  /** Sends {@code count} DATA echoes and checks that each comes back, in order. */
  private static void echoes(Connection<Echo, Echo> connection, int count, PrintStream out)
      throws InterruptedException {
    long start = System.nanoTime();
    long received = 0;
    for (long seq = 1; seq <= count; seq++) {
      connection.send(new Echo("hello " + seq, seq));
      if (seq - received == WINDOW) {
        receiveEcho(connection, ++received, count, out);
      }
    }
    while (received < count) {
      receiveEcho(connection, ++received, count, out);
    }
    if (count > PRINTED_ECHOES) {
      out.printf(
          "echo     %d echoes came back in order in %.1f ms%n",
          count, (System.nanoTime() - start) / 1e6);
    }
  }

  /** Makes one request that the server answers and one that it fails on purpose. */
  private static void requests(Connection<Echo, Echo> connection, int count, PrintStream out) {
    Echo question = new Echo("ping", count + 1L);
    long start = System.nanoTime();
    Echo answer = await(connection.request(question));
    double millis = (System.nanoTime() - start) / 1e6;
    if (!answer.equals(question)) {
      throw new EchoMismatch("requested " + question + " but the response was " + answer);
    }
    out.printf("request  %s -> response %s in %.3f ms%n", question, answer, millis);

    Echo doomed = new Echo(EchoProtocol.FAIL_PREFIX + "failing on purpose", count + 2L);
    try {
      Echo unexpected = await(connection.request(doomed));
      throw new EchoMismatch("requested " + doomed + " expecting an error, got " + unexpected);
    } catch (RequestFailedException e) {
      String reason = doomed.text().substring(EchoProtocol.FAIL_PREFIX.length());
      if (e.code() != RequestErrorCode.HANDLER_FAILED || !e.remoteMessage().contains(reason)) {
        throw new EchoMismatch(
            "expected HANDLER_FAILED with '" + reason + "', got: " + e.getMessage());
      }
      out.println("request  " + doomed + " -> failed as expected: " + e.getMessage());
    }
  }

  /** Reports the round trip of the first heartbeat, waiting up to a step timeout for it. */
  private static void heartbeat(Connection<Echo, Echo> connection, PrintStream out)
      throws InterruptedException {
    ConnectionMetrics metrics = awaitHeartbeat(connection);
    if (metrics.pings() > 0) {
      out.printf("rtt      %.3f ms (heartbeat PING/PONG)%n", metrics.rtt().toNanos() / 1e6);
    } else {
      out.println("rtt      no heartbeat answered within " + STEP_TIMEOUT.toSeconds() + " s");
    }
  }

  /** Receives the echo of message {@code seq}, printing it if the run is short. */
  private static void receiveEcho(
      Connection<Echo, Echo> connection, long seq, int count, PrintStream out)
      throws InterruptedException {
    Echo expected = new Echo("hello " + seq, seq);
    Echo echo = connection.receive(STEP_TIMEOUT);
    if (echo == null) {
      throw new EchoMismatch(
          "no echo of seq " + seq + " within " + STEP_TIMEOUT.toSeconds() + " s");
    }
    if (!echo.equals(expected)) {
      throw new EchoMismatch("sent " + expected + " but got back " + echo);
    }
    if (count <= PRINTED_ECHOES) {
      out.println("echo     " + echo);
    }
  }

  /** Waits for the response, rethrowing the failure the future completed with. */
  private static Echo await(CompletableFuture<Echo> response) {
    try {
      return response.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }

  /**
   * Polls the metrics until the first heartbeat PONG has arrived or the step timeout passes. The
   * API offers no event for it, and the wait is about one {@link #HEARTBEAT_INTERVAL}.
   */
  private static ConnectionMetrics awaitHeartbeat(Connection<Echo, Echo> connection)
      throws InterruptedException {
    long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
    ConnectionMetrics metrics = connection.metrics();
    while (metrics.pings() == 0 && System.nanoTime() < deadline && connection.isOpen()) {
      Thread.sleep(10);
      metrics = connection.metrics();
    }
    return metrics;
  }

  private static String describe(Exception e) {
    Throwable cause = e.getCause();
    String message = String.valueOf(e.getMessage());
    return cause == null || message.contains(String.valueOf(cause.getMessage()))
        ? message
        : message + " (" + cause + ")";
  }

  /** The server answered, but not with what the echo profile prescribes. */
  private static final class EchoMismatch extends RuntimeException {
    private static final long serialVersionUID = 1L;

    EchoMismatch(String message) {
      super(message);
    }
  }
}
