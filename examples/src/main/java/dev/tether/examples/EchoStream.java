package dev.tether.examples;

import dev.tether.Connection;
import dev.tether.ConnectionClosedException;
import dev.tether.HandshakeException;
import dev.tether.ReconnectListener;
import dev.tether.ReconnectPolicy;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.TetherException;
import dev.tether.TlsConfig;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Streams {@code count} echoes to an echo server through whatever happens to the connection — it
 * reconnects and resumes its session as often as needed — and tallies what came back: every echo
 * must come back exactly once, in order. Used by {@code echo-client --reconnect} and by {@code
 * chaos}.
 *
 * <pre>{@code
 * Connection<Echo, Echo> c = Tether.<Echo, Echo>client(EchoProtocol.TYPES)
 *     .reconnect(ReconnectPolicy.defaults())        // back off, reconnect, resume the session
 *     .onReconnect(listener)                        // told of each resume or lost session
 *     .onMessage((connection, echo) -> tally(echo))
 *     .connect(address);
 * }</pre>
 */
final class EchoStream {
  /** Echoes in flight at once: enough to keep the pipe full, bounded so memory is too. */
  private static final int WINDOW = 1024;

  /** The stream gives up when no echo has come back for this long. */
  static final Duration STALL_TIMEOUT = Duration.ofSeconds(60);

  /** How long the request before the close may take, a reconnect included. */
  private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(10);

  /** What came back, checked as it arrives. */
  record Tally(
      long sent,
      long received,
      long duplicated,
      long missing,
      long outOfOrder,
      int resumed,
      int sessionsLost) {
    boolean perfect() {
      return received == sent && duplicated == 0 && missing == 0 && outOfOrder == 0;
    }

    /** The one line both commands end with. */
    String line() {
      return String.format(
          "sent %d received %d duplicated %d missing %d out-of-order %d resumed %d%s",
          sent,
          received,
          duplicated,
          missing,
          outOfOrder,
          resumed,
          sessionsLost > 0 ? " sessions-lost " + sessionsLost : "");
    }
  }

  private final BitSet seen = new BitSet();
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong duplicated = new AtomicLong();
  private final AtomicLong outOfOrder = new AtomicLong();
  private final AtomicLong last = new AtomicLong();
  private final AtomicInteger resumed = new AtomicInteger();
  private final AtomicInteger lost = new AtomicInteger();
  private final Semaphore window = new Semaphore(WINDOW);
  private final Object arrivals = new Object();
  private volatile long lastProgressNanos = System.nanoTime();
  private final TlsConfig tls;

  /** A stream without TLS. */
  EchoStream() {
    this(null);
  }

  /** A stream over TLS when {@code tls} is not null; every reconnect makes its own handshake. */
  EchoStream(TlsConfig tls) {
    this.tls = tls;
  }

  /**
   * Streams {@code count} echoes to {@code address}, calling {@code progress} with the number
   * received so far every now and then; returns the tally once every echo came back or the stream
   * stalled, and the connection closed.
   *
   * <p>It runs {@code connected} once connected (a proxy may start cutting the connection now: a
   * session whose handshake is cut is one the client never heard of, and the server keeps it until
   * it expires). Before it closes, it runs {@code calm} (the proxy stops) and makes one request,
   * which comes back only over a socket that the session resumed on, if it had none: a session
   * closed between sockets ends without the server's knowing that its last echoes arrived, and the
   * server warns of that when it shuts down.
   */
  Tally run(
      InetSocketAddress address,
      List<String> codecs,
      int count,
      LongConsumer progress,
      Runnable connected,
      Runnable calm,
      PrintStream err)
      throws InterruptedException {
    Connection<Echo, Echo> connection;
    try {
      connection = connect(address, codecs);
    } catch (TetherException e) {
      err.println("echo-client: " + e.getMessage());
      return new Tally(0, 0, 0, count, 0, 0, 0);
    }
    long sent = 0;
    try {
      connected.run();
      for (long seq = 1; seq <= count; seq++) {
        if (!acquireWindow()) {
          break;
        }
        connection.send(new Echo("echo " + seq, seq));
        sent = seq;
        if ((seq & 0xFFF) == 0) {
          progress.accept(received.get());
        }
      }
      synchronized (arrivals) {
        while (received.get() < sent && stallLeftNanos() > 0) {
          progress.accept(received.get());
          arrivals.wait(100); // woken by each arrival
        }
      }
      progress.accept(received.get());
      calm.run();
      settle(connection, err);
    } catch (TetherException e) {
      err.println("echo-client: " + e.getMessage());
    } finally {
      try {
        connection.close();
      } catch (ConnectionClosedException e) {
        err.println("echo-client: " + e.getMessage());
      }
    }
    long missing;
    synchronized (seen) {
      missing = sent - seen.cardinality() + (count - sent);
    }
    return new Tally(
        count,
        received.get(),
        duplicated.get(),
        missing,
        outOfOrder.get(),
        resumed.get(),
        lost.get());
  }

  /**
   * Connects, retrying for a while if the very first connection breaks too: {@link
   * dev.tether.ClientBuilder#reconnect} takes over only once connected. A refusal that cannot heal
   * (another protocol, say) is not retried.
   */
  private Connection<Echo, Echo> connect(InetSocketAddress address, List<String> codecs)
      throws InterruptedException {
    long deadline = System.nanoTime() + STALL_TIMEOUT.toNanos();
    boolean told = false;
    while (true) {
      try {
        var builder = Tether.<Echo, Echo>client(EchoProtocol.TYPES);
        if (tls != null) {
          builder.tls(tls);
        }
        return builder
            .config(TetherConfig.builder().codecs(codecs).build())
            .reconnect(ReconnectPolicy.defaults())
            .onReconnect(listener(System.err))
            .onMessage((c, echo) -> arrived(echo.seq()))
            .connect(address);
      } catch (HandshakeException e) {
        if (e.isRemote() && e.rawCode() >= 0 || System.nanoTime() > deadline) {
          throw e; // the server refused: retrying will not change its mind
        }
      } catch (TetherException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        if (!told) { // once: a server not up yet is no failure, but silence would look like a hang
          System.err.println(
              "echo-client: "
                  + e.getMessage()
                  + "; retrying for up to "
                  + STALL_TIMEOUT.toSeconds()
                  + " s");
          told = true;
        }
      }
      TimeUnit.MILLISECONDS.sleep(50); // the pause between attempts
    }
  }

  private static void settle(Connection<Echo, Echo> connection, PrintStream err)
      throws InterruptedException {
    try {
      connection.request(new Echo("settle", 0), SETTLE_TIMEOUT).get();
    } catch (ExecutionException e) {
      err.println("echo-client: before closing: " + e.getCause().getMessage());
    }
  }

  private boolean acquireWindow() throws InterruptedException {
    while (!window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
      if (stallLeftNanos() <= 0) {
        return false;
      }
    }
    return true;
  }

  private long stallLeftNanos() {
    return lastProgressNanos + STALL_TIMEOUT.toNanos() - System.nanoTime();
  }

  private void arrived(long seq) {
    lastProgressNanos = System.nanoTime();
    boolean duplicate;
    synchronized (seen) {
      duplicate = seq < 0 || seen.get((int) seq);
      if (!duplicate) {
        seen.set((int) seq);
      }
    }
    if (duplicate) {
      duplicated.incrementAndGet();
      return;
    }
    if (seq != last.get() + 1) {
      outOfOrder.incrementAndGet();
    }
    last.set(seq);
    received.incrementAndGet();
    window.release();
    synchronized (arrivals) {
      arrivals.notifyAll();
    }
  }

  private ReconnectListener<Echo, Echo> listener(PrintStream err) {
    return new ReconnectListener<>() {
      @Override
      public void onResumed(Connection<Echo, Echo> connection, int attempts) {
        resumed.incrementAndGet();
      }

      @Override
      public void onSessionLost(
          Connection<Echo, Echo> connection, long maybeLost, ConnectionClosedException cause) {
        lost.incrementAndGet();
        err.println("echo-client: " + cause.reason());
        window.release(WINDOW); // the echoes of the lost session will not come
      }
    };
  }
}
