package dev.tether.examples;

import dev.tether.Server;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;

/**
 * The {@code chaos} command: an echo server, a client that resumes its session, and between them a
 * proxy that resets the connection at random. The client streams echoes through it all and checks
 * that each comes back exactly once, in order; a live line shows the progress.
 */
final class Chaos {
  static final Set<String> FLAGS = Set.of("count", "reset-ms", "codecs");

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
                  err);
      if (terminal) {
        out.println();
      }
      out.printf(
          "done in %.1f s through %d resets%n", (System.nanoTime() - start) / 1e9, proxy.resets());
      out.println(tally.line());
      return tally.perfect() ? 0 : 1;
    }
  }
}
