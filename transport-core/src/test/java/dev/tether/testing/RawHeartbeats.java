package dev.tether.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The client half of the raw heartbeat floor: {@code count} plain socket channels to a {@link
 * ServerProcess.RawEcho}, each sending a ping of {@link #PING_BYTES} bytes (a Tether PING frame's
 * size) once per interval, spread evenly over the interval as a server's clients' heartbeats are,
 * and reading the echoes, on one thread. The server then does for each ping what a Tether server
 * does at least for each heartbeat: wake, read, write.
 *
 * <p>Start with {@link #start}; {@link #close} stops the thread and closes every channel.
 */
public final class RawHeartbeats implements AutoCloseable {
  /** A PING frame: length varint, type, eight bytes. */
  public static final int PING_BYTES = 10;

  private final SocketChannel[] channels;
  private final long intervalNanos;
  private final Selector selector;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile long pings;
  private volatile long echoedBytes;

  private RawHeartbeats(SocketChannel[] channels, long intervalNanos) throws IOException {
    this.channels = channels;
    this.intervalNanos = intervalNanos;
    this.selector = Selector.open();
    for (SocketChannel c : channels) {
      c.configureBlocking(false);
      c.register(selector, SelectionKey.OP_READ);
    }
    this.thread = new Thread(this::run, "raw-heartbeats");
    this.thread.setDaemon(true);
  }

  /** Connects {@code count} channels to {@code server} and starts pinging each every interval. */
  public static RawHeartbeats start(InetSocketAddress server, int count, Duration interval)
      throws IOException {
    SocketChannel[] channels = new SocketChannel[count];
    try {
      for (int i = 0; i < count; i++) {
        channels[i] = SocketChannel.open(server);
        channels[i].setOption(StandardSocketOptions.TCP_NODELAY, true);
      }
    } catch (IOException e) {
      for (SocketChannel c : channels) {
        if (c != null) {
          c.close();
        }
      }
      throw e;
    }
    RawHeartbeats heartbeats = new RawHeartbeats(channels, interval.toNanos());
    heartbeats.thread.start();
    return heartbeats;
  }

  /** Pings sent so far. */
  public long pings() {
    return pings;
  }

  /** Pings echoed so far (whole ones). */
  public long echoes() {
    return echoedBytes / PING_BYTES;
  }

  private void run() {
    int n = channels.length;
    long start = System.nanoTime();
    long[] due = new long[n];
    for (int i = 0; i < n; i++) {
      due[i] = start + intervalNanos * i / n;
    }
    ByteBuffer ping = ByteBuffer.allocateDirect(PING_BYTES);
    ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
    int next = 0; // connections are due in index order, round after round
    try {
      while (running) {
        long now = System.nanoTime();
        while (due[next] - now <= 0) {
          ping.clear();
          channels[next].write(ping);
          pings++;
          due[next] += intervalNanos;
          next = (next + 1) % n;
        }
        long waitMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(due[next] - now));
        selector.select(Math.min(waitMillis, 100));
        for (SelectionKey key : selector.selectedKeys()) {
          in.clear();
          int read = ((SocketChannel) key.channel()).read(in);
          if (read > 0) {
            echoedBytes += read;
          }
        }
        selector.selectedKeys().clear();
      }
    } catch (IOException e) {
      if (running) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    running = false;
    selector.wakeup();
    thread.join(TimeUnit.SECONDS.toMillis(10));
    selector.close();
    for (SocketChannel c : channels) {
      c.close();
    }
  }
}
