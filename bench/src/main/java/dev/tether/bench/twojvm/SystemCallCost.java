package dev.tether.bench.twojvm;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a system call costs on this machine, measured from Java over a loopback connection: a look
 * at a selector that finds nothing ({@code epoll_wait} with no wait), a read of an empty socket and
 * a 1-byte write. Event-loop transports pay these per batch of messages, raw blocking sockets far
 * fewer times; on virtual machines they cost from a few hundred nanoseconds to several
 * microseconds, which moves every figure with small batches (round trips, pipelined echo). The
 * harness records them with each run so that two runs on different machines can be told apart.
 */
final class SystemCallCost {
  private static final int CALLS = 20_000;
  private static final int ROUNDS = 5;

  private SystemCallCost() {}

  /**
   * Returns nanoseconds per call, the median of {@value #ROUNDS} rounds: selectNow, read, write.
   */
  static Map<String, Object> measure() throws IOException {
    try (Selector selector = Selector.open();
        ServerSocketChannel listener =
            ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        SocketChannel writer = SocketChannel.open(listener.getLocalAddress());
        SocketChannel reader = listener.accept()) {
      reader.configureBlocking(false);
      reader.register(selector, SelectionKey.OP_READ);
      ByteBuffer buffer = ByteBuffer.allocateDirect(64);
      long[] select = new long[ROUNDS];
      long[] read = new long[ROUNDS];
      long[] write = new long[ROUNDS];
      for (int round = 0; round < ROUNDS; round++) {
        long start = System.nanoTime();
        for (int i = 0; i < CALLS; i++) {
          selector.selectNow();
        }
        select[round] = System.nanoTime() - start;
        start = System.nanoTime();
        for (int i = 0; i < CALLS; i++) {
          buffer.clear();
          reader.read(buffer);
        }
        read[round] = System.nanoTime() - start;
        start = System.nanoTime();
        for (int i = 0; i < CALLS; i++) {
          buffer.clear().limit(1);
          writer.write(buffer);
        }
        write[round] = System.nanoTime() - start;
        do { // empty the socket for the next round's reads
          buffer.clear();
        } while (reader.read(buffer) > 0);
      }
      Map<String, Object> nanos = new LinkedHashMap<>();
      nanos.put("selectNowNanos", median(select));
      nanos.put("emptyReadNanos", median(read));
      nanos.put("oneByteWriteNanos", median(write));
      return nanos;
    }
  }

  private static long median(long[] totals) {
    long[] sorted = totals.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2] / CALLS;
  }
}
