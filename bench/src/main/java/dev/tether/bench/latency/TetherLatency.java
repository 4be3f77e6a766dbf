package dev.tether.bench.latency;

import dev.tether.Connection;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.bench.support.Payloads;
import java.net.InetSocketAddress;
import java.time.Duration;
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
 * Tether: {@code request(message).get()}. {@code handlers=default} is the default configuration
 * (handlers on the event loop until one blocks, response futures on Tether's handler pool); {@code
 * handlers=loop} always runs them on the event loop ({@code handlersOnEventLoop()}), Netty's model,
 * for handlers that never block.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TetherLatency {
  @Param({"bytes", "json", "cbor", "kryo", "fury"})
  public String codec;

  @Param({"default", "loop"})
  public String handlers;

  private Server<Object, Object> server;
  private Connection<Object, Object> client;
  private Object message;

  @Setup
  public void setUp() {
    TetherConfig.Builder config = TetherConfig.builder().codecs(codec);
    if (handlers.equals("loop")) {
      config.handlersOnEventLoop();
    }
    server =
        Tether.server(Payloads.types(codec))
            .config(config.build())
            .onRequest((c, m) -> m)
            .bind(new InetSocketAddress("127.0.0.1", 0));
    client = Tether.client(Payloads.types(codec)).config(config.build()).connect(server.address());
    message = Payloads.message(codec, 64);
  }

  @Benchmark
  public Object roundTrip() throws InterruptedException, ExecutionException, TimeoutException {
    return client.request(message).get(10, TimeUnit.SECONDS);
  }

  @TearDown
  public void tearDown() {
    client.close();
    server.close(Duration.ofSeconds(5));
  }
}
