package dev.tether.bench.throughput;

import dev.tether.bench.support.Await;
import dev.tether.bench.support.NettyTransport;
import dev.tether.bench.support.Payloads;
import io.netty.channel.Channel;
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
 * Netty: each batch is written on the channel's event loop and flushed once; before a batch the
 * sender waits while the channel is not writable (Netty's backpressure). The server's handler
 * counts.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class NettyThroughput {
  @Param({"bytes", "json", "cbor", "kryo", "fury"})
  public String codec;

  @Param({"1", "4"})
  public int connections;

  @Param({"64", "1024", "65536"})
  public int size;

  private NettyTransport netty;
  private final List<Channel> clients = new ArrayList<>();
  private final AtomicLong received = new AtomicLong();
  private Object message;
  private long sent;

  @Setup
  public void setUp() throws InterruptedException {
    netty = new NettyTransport(codec, (channel, msg) -> received.incrementAndGet());
    for (int i = 0; i < connections; i++) {
      clients.add(netty.connect((channel, msg) -> {}));
    }
    message = Payloads.message(codec, size);
  }

  @Benchmark
  @OperationsPerInvocation(TetherThroughput.BATCH)
  public void oneWay() {
    // As a Netty expert writes a batch from outside the event loop: one task per channel that
    // writes its share and flushes once, rather than a cross-thread task per message.
    for (int c = 0; c < connections; c++) {
      Channel channel = clients.get(c);
      int share =
          TetherThroughput.BATCH / connections + (c < TetherThroughput.BATCH % connections ? 1 : 0);
      if (!channel.isWritable()) {
        NettyTransport.awaitWritable(channel);
      }
      channel
          .eventLoop()
          .execute(
              () -> {
                for (int i = 0; i < share; i++) {
                  channel.write(message, channel.voidPromise());
                }
                channel.flush();
              });
    }
    sent += TetherThroughput.BATCH;
    Await.atLeast(received::get, sent, "Netty " + codec);
  }

  @TearDown
  public void tearDown() {
    for (Channel channel : clients) {
      channel.close().syncUninterruptibly();
    }
    clients.clear();
    netty.close();
  }
}
