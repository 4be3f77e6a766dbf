package dev.tether.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process TCP route on loopback for chaos tests, harsher than {@link FaultProxy}: it can cut
 * every connection in the middle of what it is forwarding (half a chunk through, then RST both
 * ways), stall one direction while the other flows, refuse new connections (accept, then RST),
 * black-hole new connections (accept, never forward, never close), and tell how many connections it
 * still holds open on the client side. Two blocking threads per connection; for tests only.
 */
public final class ChaosRoute implements AutoCloseable {
  /** Which way bytes flow: from the client to the target, or back. */
  public enum Direction {
    UP,
    DOWN
  }

  /** A pair of sockets, client side and target side. */
  private record Pair(Socket client, Socket target, AtomicBoolean gone) {}

  private final ServerSocket listener;
  private final SocketAddress target;
  private final List<Pair> pairs = new CopyOnWriteArrayList<>();
  private final List<Socket> held = new CopyOnWriteArrayList<>();
  private volatile boolean closed;
  private volatile boolean refuse;
  private volatile boolean blackHoleNew;
  private volatile boolean stallUp;
  private volatile boolean stallDown;
  private volatile boolean cutMidChunk;
  private final AtomicInteger accepted = new AtomicInteger();

  /** Starts forwarding from a free loopback port to {@code target}. */
  public ChaosRoute(SocketAddress target) throws IOException {
    this.target = target;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "chaos-route-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Returns the address clients should connect to. */
  public InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
  }

  /** While on, new connections are accepted and reset at once. */
  public ChaosRoute refuse(boolean on) {
    this.refuse = on;
    return this;
  }

  /** While on, new connections are accepted and then neither forwarded nor closed. */
  public ChaosRoute blackHoleNew(boolean on) {
    this.blackHoleNew = on;
    if (!on) {
      for (Socket s : held) {
        held.remove(s);
        rst(s);
      }
    }
    return this;
  }

  /** Holds the bytes of one direction (they wait in the proxy) while on. */
  public synchronized ChaosRoute stall(Direction direction, boolean on) {
    if (direction == Direction.UP) {
      stallUp = on;
    } else {
      stallDown = on;
    }
    notifyAll();
    return this;
  }

  /** The next chunk forwarded either way goes half through, then every connection is reset. */
  public ChaosRoute cutMidChunk() {
    this.cutMidChunk = true;
    return this;
  }

  /** Ends every fault: nothing stalled, refused, black-holed or about to be cut. */
  public ChaosRoute heal() {
    cutMidChunk = false;
    refuse = false;
    blackHoleNew(false);
    stall(Direction.UP, false);
    stall(Direction.DOWN, false);
    return this;
  }

  /** Resets every connection now, both sides. */
  public void resetAll() {
    for (Pair p : pairs) {
      drop(p);
    }
    for (Socket s : held) {
      held.remove(s);
      rst(s);
    }
  }

  /** Returns how many connections were accepted so far. */
  public int accepted() {
    return accepted.get();
  }

  /**
   * Returns how many accepted connections the client side has not closed yet: forwarded ones whose
   * client has not ended its stream, and black-holed ones.
   */
  public int open() {
    int n = 0;
    for (Pair p : pairs) {
      if (!p.gone.get()) {
        n++;
      }
    }
    for (Socket s : held) {
      if (!clientClosed(s)) {
        n++;
      }
    }
    return n;
  }

  /** True if the client has closed a held socket: a read sees end of stream or an error. */
  private static boolean clientClosed(Socket s) {
    try {
      s.setSoTimeout(1);
      byte[] sink = new byte[4096];
      while (true) {
        if (s.getInputStream().read(sink) < 0) {
          return true;
        }
      }
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return;
      }
      accepted.incrementAndGet();
      if (refuse) {
        rst(client);
        continue;
      }
      if (blackHoleNew) {
        held.add(client);
        continue;
      }
      Socket server = new Socket();
      try {
        server.connect(target, 5000);
        if (server.getLocalSocketAddress().equals(server.getRemoteSocketAddress())) {
          // the target is down and the connect was given the target's own port: TCP connected the
          // socket to itself, and it would hold the port the target needs to come back on
          rst(server);
          rst(client);
          continue;
        }
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
      } catch (IOException e) {
        rst(client); // the target is down: the client sees its connection refused
        continue;
      }
      Pair pair = new Pair(client, server, new AtomicBoolean());
      pairs.add(pair);
      AtomicInteger directions = new AtomicInteger(2);
      pump(pair, client, server, Direction.UP, directions);
      pump(pair, server, client, Direction.DOWN, directions);
    }
  }

  private synchronized void awaitRoute(Direction direction) throws InterruptedException {
    while (!closed && (direction == Direction.UP ? stallUp : stallDown)) {
      wait();
    }
  }

  private void pump(
      Pair pair, Socket from, Socket to, Direction direction, AtomicInteger directions) {
    Thread thread =
        new Thread(
            () -> {
              byte[] buffer = new byte[16 * 1024];
              try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                  awaitRoute(direction);
                  if (cutMidChunk) {
                    cutMidChunk = false;
                    out.write(buffer, 0, Math.max(1, n / 2));
                    out.flush();
                    resetAll();
                    return;
                  }
                  out.write(buffer, 0, n);
                }
                if (direction == Direction.UP) {
                  pair.gone.set(true); // the client ended its stream
                }
                to.shutdownOutput();
                if (directions.decrementAndGet() == 0) {
                  finish(pair); // both ended their streams: a plain close, as a network's would
                }
              } catch (IOException | InterruptedException e) {
                drop(pair);
              }
            },
            "chaos-route-" + direction);
    thread.setDaemon(true);
    thread.start();
  }

  private void finish(Pair p) {
    p.gone.set(true);
    pairs.remove(p);
    try {
      p.client.close();
    } catch (IOException e) {
      // already gone
    }
    try {
      p.target.close();
    } catch (IOException e) {
      // already gone
    }
  }

  private void drop(Pair p) {
    p.gone.set(true);
    pairs.remove(p);
    rst(p.client);
    rst(p.target);
  }

  private static void rst(Socket socket) {
    try {
      socket.setSoLinger(true, 0);
    } catch (IOException e) {
      // closed already
    }
    try {
      socket.close();
    } catch (IOException e) {
      // already gone
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      notifyAll();
    }
    try {
      listener.close();
    } catch (IOException e) {
      // already closed
    }
    resetAll();
  }

  /** Waits briefly so a stalled pump sees a change; for chaos loops only. */
  public static void pause(long millis) {
    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
  }
}
