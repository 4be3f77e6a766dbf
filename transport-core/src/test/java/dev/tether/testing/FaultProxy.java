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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small in-process TCP proxy on loopback that forwards both directions and can misbehave on
 * demand: fragment every write into single bytes, delay each chunk, black-hole the traffic (stop
 * forwarding without closing), or reset both connections. One blocking thread per direction; for
 * tests only.
 */
public final class FaultProxy implements AutoCloseable {
  /** How the proxy treats the bytes it forwards. */
  public enum Mode {
    PASS,
    FRAGMENT,
    BLACK_HOLE
  }

  private final ServerSocket listener;
  private final SocketAddress target;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile Mode mode = Mode.PASS;
  private volatile long delayMillis;
  private volatile boolean closed;
  private volatile int accepted;

  /** Starts forwarding from a free loopback port to {@code target}. */
  public FaultProxy(SocketAddress target) throws IOException {
    this.target = target;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "fault-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Returns the address clients should connect to. */
  public InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
  }

  public FaultProxy mode(Mode mode) {
    synchronized (this) {
      this.mode = mode;
      notifyAll();
    }
    return this;
  }

  /** Holds the calling pump while the route is black-holed: nothing moves, nothing closes. */
  private synchronized void awaitRoute() throws InterruptedException {
    while (mode == Mode.BLACK_HOLE && !closed) {
      wait();
    }
  }

  /** Delays every forwarded chunk by this long. */
  public FaultProxy delayMillis(long millis) {
    this.delayMillis = millis;
    return this;
  }

  /** Resets every proxied connection (RST on both sides) at once. */
  public void resetAll() throws IOException {
    for (Socket socket : sockets) {
      sockets.remove(socket);
      try {
        socket.setSoLinger(true, 0);
      } catch (IOException e) {
        // closed already: closing it again is all that is left to do
      }
      socket.close();
    }
  }

  /** Returns how many connections the proxy has accepted so far. */
  public int accepted() {
    return accepted;
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        accepted++;
        Socket server = new Socket();
        try {
          server.connect(target, 5000);
        } catch (IOException e) {
          closeQuietly(client); // the target is down: the client sees its connection close
          continue;
        }
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(server);
        AtomicInteger directions = new AtomicInteger(2);
        pump(client, server, "up", directions);
        pump(server, client, "down", directions);
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  /**
   * Forwards one direction. End of stream is passed on as a half-close, so that a peer that closes
   * gracefully (its FIN, then reading on) still gets what the other side sends; both sockets close
   * once both directions have ended, or at once when one fails.
   */
  private void pump(Socket from, Socket to, String direction, AtomicInteger directions) {
    Thread thread =
        new Thread(
            () -> {
              byte[] buffer = new byte[16 * 1024];
              try {
                InputStream in = from.getInputStream(); // closing it would close the socket
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                  awaitRoute();
                  if (delayMillis > 0) {
                    TimeUnit.MILLISECONDS.sleep(delayMillis); // the injected fault itself
                  }
                  if (mode == Mode.FRAGMENT) {
                    for (int i = 0; i < n; i++) {
                      out.write(buffer[i]);
                      out.flush();
                    }
                  } else {
                    out.write(buffer, 0, n);
                  }
                }
                to.shutdownOutput();
                if (directions.decrementAndGet() == 0) {
                  closeQuietly(from);
                  closeQuietly(to);
                }
              } catch (IOException | InterruptedException e) {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "fault-proxy-" + direction);
    thread.setDaemon(true);
    thread.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // already gone
    }
  }

  @Override
  public void close() throws IOException {
    synchronized (this) {
      closed = true;
      notifyAll();
    }
    listener.close();
    for (Socket socket : sockets) {
      closeQuietly(socket);
    }
  }
}
