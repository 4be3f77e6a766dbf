package dev.tether.examples;

import dev.tether.MessageTypes;
import dev.tether.PeerAddresses;
import dev.tether.PeerPool;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.TetherException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code peers} example: a node that talks to its peers by node id through a {@link PeerPool}.
 * One peer then moves: it stops, and comes back on another port. The pool notices the dead
 * connection, fails fast while the peer is down instead of dialling it in a loop, and once the
 * address book has the new port it reaches the peer there — no connection handling in sight.
 */
final class Peers {
  static final Set<String> FLAGS = Set.of("peers", "codecs");

  /** A liveness probe. */
  record Ping(long seq) {}

  /** The answer: which node answered, and on which port. */
  record Pong(long seq, long node, int port) {}

  static final MessageTypes TYPES =
      MessageTypes.builder("peers")
          .register(1, "peers.Ping", Ping.class)
          .register(2, "peers.Pong", Pong.class)
          .build();

  /** This node's own id: peers see it in the handshake. */
  private static final long SELF = 100;

  /** The retry delay after a failed connect; it doubles with each failure in a row. */
  private static final Duration FIRST_RETRY_DELAY = Duration.ofMillis(200);

  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(10);

  private Peers() {}

  /** Starts the peer {@code node}: it answers every Ping with a Pong naming itself. */
  static Server<Pong, Ping> peer(long node, List<String> codecs) {
    AtomicInteger port = new AtomicInteger();
    Server<Pong, Ping> server =
        Tether.<Pong, Ping>server(TYPES)
            .config(TetherConfig.builder().codecs(codecs).nodeId(node).build())
            .onRequest(Ping.class, (connection, ping) -> new Pong(ping.seq(), node, port.get()))
            .bind(new InetSocketAddress("127.0.0.1", 0));
    port.set(((InetSocketAddress) server.address()).getPort());
    return server;
  }

  static int run(Args args, PrintStream out, PrintStream err) throws InterruptedException {
    int count = args.integer("peers", 3, 1, 64);
    List<String> codecs = Main.codecs(args, TYPES);
    List<Server<Pong, Ping>> servers = new ArrayList<>();
    PeerAddresses addresses = new PeerAddresses();
    try {
      for (long node = 1; node <= count; node++) {
        Server<Pong, Ping> server = peer(node, codecs);
        servers.add(server);
        addresses.put(node, server.address());
      }
      out.println("peers    " + addresses);
      try (PeerPool<Ping, Pong> pool =
          Tether.<Ping, Pong>client(TYPES)
              .config(TetherConfig.builder().codecs(codecs).nodeId(SELF).build())
              .peerPool(addresses, FIRST_RETRY_DELAY, Duration.ofSeconds(2))) {
        pingAll(pool, count, 1, out);

        long moving = count; // the last peer moves
        servers.get(count - 1).close();
        out.println("stop     node " + moving + " stopped");
        tryPing(pool, moving, 2, out); // the dead connection is noticed: a connect is tried
        tryPing(pool, moving, 3, out); // ...and fails: the pool backs off, failing fast

        Server<Pong, Ping> moved = peer(moving, codecs);
        servers.add(moved);
        addresses.put(moving, moved.address());
        out.println(
            "move     node "
                + moving
                + " is back on "
                + EchoServer.hostPort(moved.address())
                + "; the address book says so");
        Pong pong = pingUntilAnswered(pool, moving, 4);
        out.println(
            "ping     node "
                + moving
                + " answered from port "
                + pong.port()
                + " once its retry delay had passed");
        pingAll(pool, count, 5, out);
      }
    } finally {
      servers.forEach(Server::close);
    }
    return 0;
  }

  private static void pingAll(PeerPool<Ping, Pong> pool, int count, long seq, PrintStream out) {
    StringBuilder line = new StringBuilder("ping     ");
    for (long node = 1; node <= count; node++) {
      Pong pong = pool.request(node, new Ping(seq), Pong.class).join();
      line.append(node == 1 ? "" : ", ").append("node ").append(pong.node());
      line.append(" on port ").append(pong.port());
    }
    out.println(line.append(" (one connection each, made on first use)"));
  }

  /** One ping that is expected to fail while the peer is away; prints why it failed. */
  private static void tryPing(PeerPool<Ping, Pong> pool, long node, long seq, PrintStream out) {
    try {
      Pong pong = pool.request(node, new Ping(seq), Pong.class).join();
      out.println("ping     node " + node + " answered unexpectedly: " + pong);
    } catch (CompletionException e) {
      out.println("ping     node " + node + " failed: " + e.getCause().getMessage());
    }
  }

  /** Pings until the peer answers, as an application retrying a call would. */
  private static Pong pingUntilAnswered(PeerPool<Ping, Pong> pool, long node, long seq)
      throws InterruptedException {
    long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
    while (true) {
      try {
        return pool.request(node, new Ping(seq), Pong.class).join();
      } catch (CompletionException e) {
        if (System.nanoTime() > deadline) {
          throw new TetherException("node " + node + " never came back: " + e.getCause(), e);
        }
        TimeUnit.MILLISECONDS.sleep(50);
      }
    }
  }
}
