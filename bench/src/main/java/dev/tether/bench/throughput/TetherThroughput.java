package dev.tether.bench.throughput;

import dev.tether.Connection;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.bench.support.Await;
import dev.tether.bench.support.Payloads;
import java.net.InetSocketAddress;
import java.time.Duration;
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

/** Tether: {@code send} in a loop over 1 or 4 connections; the server's handler counts. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TetherThroughput {
  /** Messages per invocation; see the package Javadoc. */
  static final int BATCH = 1000;

  @Param({"bytes", "json", "cbor", "kryo", "fury"})
  public String codec;

  @Param({"1", "4"})
  public int connections;

  @Param({"64", "1024", "65536"})
  public int size;

  private Server<Object, Object> server;
  private final List<Connection<Object, Object>> clients = new ArrayList<>();
  private final AtomicLong received = new AtomicLong();
  private Object message;
  private long sent;

  @Setup
  public void setUp() {
    TetherConfig config = TetherConfig.builder().codecs(codec).build();
    server =
        Tether.server(Payloads.types(codec))
            .config(config)
            .onMessage((c, m) -> received.incrementAndGet())
            .bind(new InetSocketAddress("127.0.0.1", 0));
    for (int i = 0; i < connections; i++) {
      clients.add(Tether.client(Payloads.types(codec)).config(config).connect(server.address()));
    }
    message = Payloads.message(codec, size);
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void oneWay() {
    for (int i = 0; i < BATCH; i++) {
      clients.get(i % connections).send(message);
    }
    sent += BATCH;
    Await.atLeast(received::get, sent, "Tether " + codec);
  }

  @TearDown
  public void tearDown() {
    for (Connection<Object, Object> client : clients) {
      client.close();
    }
    clients.clear();
    server.close(Duration.ofSeconds(5));
  }
}
