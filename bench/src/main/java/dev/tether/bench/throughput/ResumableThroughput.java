package dev.tether.bench.throughput;

import dev.tether.Connection;
import dev.tether.ReconnectPolicy;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.bench.support.Await;
import dev.tether.bench.support.Payloads;
import java.net.InetSocketAddress;
import java.time.Duration;
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
 * What session resumption costs a healthy connection: {@link TetherThroughput}'s one-way stream,
 * once on a plain connection and once on a resumable one (a client with {@link
 * ReconnectPolicy#defaults()}, which the server grants), where every message sent is also kept in
 * the replay buffer until the peer's cumulative ACK releases it. Nothing fails during the run: the
 * difference between the two is the price of being able to resume.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ResumableThroughput {
  @Param({"bytes", "json"})
  public String codec;

  @Param({"plain", "resumable"})
  public String session;

  @Param({"64", "1024"})
  public int size;

  private Server<Object, Object> server;
  private Connection<Object, Object> client;
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
    var builder = Tether.client(Payloads.types(codec)).config(config);
    if (session.equals("resumable")) {
      builder.reconnect(ReconnectPolicy.defaults());
    } else if (!session.equals("plain")) {
      throw new IllegalArgumentException("session must be plain or resumable, was " + session);
    }
    client = builder.connect(server.address());
    message = Payloads.message(codec, size);
  }

  @Benchmark
  @OperationsPerInvocation(TetherThroughput.BATCH)
  public void oneWay() {
    for (int i = 0; i < TetherThroughput.BATCH; i++) {
      client.send(message);
    }
    sent += TetherThroughput.BATCH;
    Await.atLeast(received::get, sent, "Tether " + codec + ", " + session);
  }

  @TearDown
  public void tearDown() {
    client.close();
    server.close(Duration.ofSeconds(5));
  }
}
