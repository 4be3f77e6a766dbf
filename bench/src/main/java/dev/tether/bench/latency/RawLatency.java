package dev.tether.bench.latency;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The physical limit for a round trip: blocking socket channels, a 64-byte frame written and read
 * back by an echo thread. No codec, no selector, no handoff.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RawLatency {
  private static final int FRAME = 4 + 64;

  private ServerSocketChannel listener;
  private SocketChannel client;
  private final ByteBuffer out = ByteBuffer.allocateDirect(FRAME);
  private final ByteBuffer in = ByteBuffer.allocateDirect(FRAME);

  @Setup
  public void setUp() throws IOException {
    listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
    client = SocketChannel.open(listener.getLocalAddress());
    client.socket().setTcpNoDelay(true);
    SocketChannel server = listener.accept();
    server.socket().setTcpNoDelay(true);
    Thread echo =
        new Thread(
            () -> {
              ByteBuffer buffer = ByteBuffer.allocateDirect(FRAME);
              try (server) {
                while (true) {
                  buffer.clear();
                  while (buffer.hasRemaining()) {
                    if (server.read(buffer) < 0) {
                      return;
                    }
                  }
                  buffer.flip();
                  while (buffer.hasRemaining()) {
                    server.write(buffer);
                  }
                }
              } catch (IOException e) {
                // closed at tear-down
              }
            },
            "raw-echo");
    echo.setDaemon(true);
    echo.start();
    out.putInt(64).put(new byte[64]).flip();
  }

  @Benchmark
  public int roundTrip() throws IOException {
    out.rewind();
    while (out.hasRemaining()) {
      client.write(out);
    }
    in.clear();
    while (in.hasRemaining()) {
      if (client.read(in) < 0) {
        throw new IOException("echo closed");
      }
    }
    return in.getInt(0);
  }

  @TearDown
  public void tearDown() throws IOException {
    client.close();
    listener.close();
  }
}
