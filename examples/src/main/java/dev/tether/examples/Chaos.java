package dev.tether.examples;

import dev.tether.Server;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The {@code chaos} command: an echo server, a client that resumes its session, and between them a
 * proxy that resets the connection at random. The client streams echoes through it all and checks
 * that each comes back exactly once, in order; a live line shows the progress.
 */
final class Chaos {
  static final Set<String> FLAGS = Set.of("count", "reset-ms", "codecs");

  /** How long the server may take to end the client's session once the client has closed. */
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  private Chaos() {}

  static int run(Args args, PrintStream out, PrintStream err)
      throws IOException, InterruptedException {
    int count = args.integer("count", 100_000, 1, 100_000_000);
    int resetMillis = args.integer("reset-ms", 100, 1, 60_000);
    List<String> codecs = Main.codecs(args);
    boolean terminal = System.console() != null;
    try (Server<Echo, Echo> server =
            EchoServer.start(new InetSocketAddress("127.0.0.1", 0), codecs, "chaos", e -> {});
        ChaosProxy proxy = new ChaosProxy(server.address(), resetMillis)) {
      proxy.calm(); // until the client has connected
      out.printf(
          "streaming %d echoes through a proxy that resets the connection every ~%d ms%n",
          count, resetMillis);
      long start = System.nanoTime();
      EchoStream.Tally tally =
          new EchoStream()
              .run(
                  proxy.address(),
                  codecs,
                  count,
                  received -> {
                    if (terminal) {
                      out.printf(
                          "\r%,d of %,d echoes back, %d resets", received, count, proxy.resets());
                      out.flush();
                    }
                  },
                  proxy::stir,
                  proxy::calm,
                  err);
      if (terminal) {
        out.println();
      }
      out.printf(
          "done in %.1f s through %d resets%n", (System.nanoTime() - start) / 1e9, proxy.resets());
      out.println(tally.line());
      if (!sessionEnded(server)) {
        err.println(
            "chaos: the server still holds the client's session "
                + CLOSE_WAIT.toSeconds()
                + " s after the client closed");
        return 1;
      }
      return tally.perfect() ? 0 : 1;
    }
  }

  /**
   * Returns true once every connection the server has ended within {@link #CLOSE_WAIT}: a client
   * that closed gracefully leaves no session behind, even one that lived through resets.
   */
  private static boolean sessionEnded(Server<Echo, Echo> server) throws InterruptedException {
    CompletableFuture<?>[] closes =
        server.connections().stream()
            .map(c -> c.onClose().toCompletableFuture())
            .toArray(CompletableFuture[]::new);
    try {
      CompletableFuture.allOf(closes).get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException("onClose never completes exceptionally", e);
    }
  }
}
