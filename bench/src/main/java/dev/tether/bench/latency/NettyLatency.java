package dev.tether.bench.latency;

import dev.tether.bench.support.NettyTransport;
import dev.tether.bench.support.Payloads;
import io.netty.channel.Channel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Netty: {@code writeAndFlush} a message, the server's handler writes it back on its event loop,
 * the client's handler completes a future the benchmark thread waits on.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class NettyLatency {
  @Param({"bytes", "json", "cbor", "kryo", "fury"})
  public String codec;

  private NettyTransport netty;
  private Channel client;
  private Object message;
  private volatile CompletableFuture<Object> pending;

  @Setup
  public void setUp() throws InterruptedException {
    netty = new NettyTransport(codec, (channel, msg) -> channel.writeAndFlush(msg));
    client = netty.connect((channel, msg) -> pending.complete(msg));
    message = Payloads.message(codec, 64);
  }

  @Benchmark
  public Object roundTrip() throws InterruptedException, ExecutionException, TimeoutException {
    CompletableFuture<Object> future = new CompletableFuture<>();
    pending = future;
    client.writeAndFlush(message, client.voidPromise());
    return future.get(10, TimeUnit.SECONDS);
  }

  @TearDown
  public void tearDown() {
    client.close().syncUninterruptibly();
    netty.close();
  }
}
