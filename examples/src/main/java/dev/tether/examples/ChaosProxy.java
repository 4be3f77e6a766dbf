package dev.tether.examples;

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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy on loopback that forwards both ways and, every now and then, resets every connection
 * through it (RST both ways, as a crashing middlebox would). Two blocking threads per connection: a
 * tool for the {@code chaos} example, not for production.
 */
final class ChaosProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final SocketAddress target;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger resets = new AtomicInteger();
  private final long resetEveryBytes;
  private final AtomicLong sinceReset = new AtomicLong();
  private final Thread resetter;
  private volatile boolean closed;
  private boolean calm;

  /**
   * Starts forwarding from a free loopback port to {@code target}, resetting every {@code 0..2 ×
   * meanResetMillis} ms.
   */
  ChaosProxy(SocketAddress target, int meanResetMillis) throws IOException {
    this(target, meanResetMillis, 0);
  }

  /**
   * As {@link #ChaosProxy(SocketAddress, int)}, and also each time it has forwarded {@code
   * resetEveryBytes} bytes (both ways together) since the last reset, if that is above 0: a stream
   * that finishes within the random wait is still cut.
   */
  ChaosProxy(SocketAddress target, int meanResetMillis, long resetEveryBytes) throws IOException {
    this.target = target;
    this.resetEveryBytes = resetEveryBytes;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    daemon(this::accept, "chaos-proxy-accept").start();
    resetter =
        daemon(
            () -> {
              while (!closed) {
                long wait = ThreadLocalRandom.current().nextLong(2L * meanResetMillis + 1);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(wait)); // the chaos itself
                resetAll();
              }
            },
            "chaos-proxy-reset");
    resetter.start();
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
  }

  /** Returns how many times the proxy has reset connections so far. */
  int resets() {
    return resets.get();
  }

  /**
   * Stops resetting connections, from now on: once this returns, no reset is under way or will
   * start, so that a stream can end with a graceful close.
   */
  synchronized void calm() {
    calm = true;
  }

  /** Resets connections again, after {@link #calm}. */
  synchronized void stir() {
    calm = false;
  }

  private synchronized void resetAll() {
    if (calm) {
      return;
    }
    sinceReset.set(0);
    boolean any = false;
    for (Socket socket : sockets) {
      sockets.remove(socket);
      any = true;
      try {
        socket.setSoLinger(true, 0);
      } catch (IOException e) {
        // closed already
      }
      closeQuietly(socket);
    }
    if (any) {
      resets.incrementAndGet();
    }
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket();
        try {
          server.connect(target, 5000);
        } catch (IOException e) {
          closeQuietly(client);
          continue;
        }
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(server);
        AtomicInteger directions = new AtomicInteger(2);
        daemon(() -> pump(client, server, directions), "chaos-proxy-up").start();
        daemon(() -> pump(server, client, directions), "chaos-proxy-down").start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  /**
   * Forwards one direction; end of stream goes on as a half-close, so that a graceful close (FIN,
   * then reading on until the other side's GOAWAY) passes through. Both sockets close once both
   * directions have ended, or at once when one fails.
   */
  private void pump(Socket from, Socket to, AtomicInteger directions) {
    byte[] buffer = new byte[64 * 1024];
    try {
      InputStream in = from.getInputStream(); // closing it would close the socket
      OutputStream out = to.getOutputStream();
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        out.write(buffer, 0, n);
        if (resetEveryBytes > 0 && sinceReset.addAndGet(n) >= resetEveryBytes) {
          resetAll();
        }
      }
      to.shutdownOutput();
      if (directions.decrementAndGet() == 0) {
        closeQuietly(from);
        closeQuietly(to);
      }
    } catch (IOException e) {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static Thread daemon(Runnable body, String name) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    return t;
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // gone already
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    resetter.interrupt();
    listener.close();
    for (Socket socket : sockets) {
      closeQuietly(socket);
    }
  }
}
