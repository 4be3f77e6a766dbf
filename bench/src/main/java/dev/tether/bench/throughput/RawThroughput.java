package dev.tether.bench.throughput;

import dev.tether.bench.support.Await;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The physical limit: blocking {@link SocketChannel}s moving pre-encoded, length-prefixed frames of
 * the same size in one large write per connection per batch; a reader thread per connection walks
 * the length prefixes to count messages. No codec, no framing objects, no queues.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RawThroughput {
  @Param({"1", "4"})
  public int connections;

  @Param({"64", "1024", "65536"})
  public int size;

  private ServerSocketChannel listener;
  private final List<SocketChannel> clients = new ArrayList<>();
  private final List<Thread> readers = new ArrayList<>();
  private final AtomicLong received = new AtomicLong();
  private final List<ByteBuffer> batches = new ArrayList<>();
  private long sent;

  @Setup
  public void setUp() throws IOException {
    listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
    for (int i = 0; i < connections; i++) {
      SocketChannel client = SocketChannel.open(listener.getLocalAddress());
      client.socket().setTcpNoDelay(true);
      SocketChannel server = listener.accept();
      clients.add(client);
      Thread reader = new Thread(() -> count(server), "raw-reader-" + i);
      reader.setDaemon(true);
      reader.start();
      readers.add(reader);
      int frames = TetherThroughput.BATCH / connections + 1;
      ByteBuffer batch = ByteBuffer.allocateDirect(frames * (4 + size));
      for (int f = 0; f < frames; f++) {
        batch.putInt(size).put(new byte[size]);
      }
      batches.add(batch.flip());
    }
  }

  private void count(SocketChannel server) {
    ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
    long skip = 0; // body bytes of the current frame still to pass
    try (server) {
      while (server.read(buffer) >= 0) {
        buffer.flip();
        long frames = 0;
        while (true) {
          if (skip > 0) {
            int n = (int) Math.min(skip, buffer.remaining());
            buffer.position(buffer.position() + n);
            skip -= n;
            if (skip > 0) {
              break;
            }
            frames++;
          }
          if (buffer.remaining() < 4) {
            break;
          }
          skip = buffer.getInt();
        }
        buffer.compact();
        received.addAndGet(frames);
      }
    } catch (IOException e) {
      // closed at tear-down
    }
  }

  @Benchmark
  @OperationsPerInvocation(TetherThroughput.BATCH)
  public void oneWay() throws IOException {
    int perConnection = TetherThroughput.BATCH / connections;
    for (int i = 0; i < connections; i++) {
      ByteBuffer batch = batches.get(i).duplicate();
      int frames = perConnection + (i < TetherThroughput.BATCH % connections ? 1 : 0);
      batch.limit(frames * (4 + size));
      while (batch.hasRemaining()) {
        clients.get(i).write(batch);
      }
    }
    sent += TetherThroughput.BATCH;
    Await.atLeast(received::get, sent, "raw sockets");
  }

  @TearDown
  public void tearDown() throws IOException {
    for (SocketChannel client : clients) {
      client.close();
    }
    clients.clear();
    listener.close();
  }
}
