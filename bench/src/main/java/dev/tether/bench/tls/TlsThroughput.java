package dev.tether.bench.tls;

import dev.tether.Connection;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.bench.support.Await;
import dev.tether.bench.support.BenchMessages;
import io.netty.channel.Channel;
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
 * One-way throughput of {@code byte[]} messages over one connection, with and without TLS, Tether
 * and Netty in the same run: Tether {@code send}s in a loop; Netty writes each batch on the
 * channel's loop and flushes once, waiting while the channel is not writable. The server's handler
 * counts.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TlsThroughput {
  static final int BATCH = 1000;

  @Param({"tether", "tether-tls", "netty", "netty-tls"})
  public String transport;

  @Param({"64", "1024", "16384"})
  public int size;

  private final AtomicLong received = new AtomicLong();
  private byte[] message;
  private long sent;

  private Server<byte[], byte[]> server;
  private Connection<byte[], byte[]> client;
  private NettyPeers netty;
  private Channel channel;

  @Setup
  public void setUp() throws Exception {
    message = new byte[size];
    boolean tls = transport.endsWith("-tls");
    if (transport.startsWith("tether")) {
      TetherConfig config = TetherConfig.builder().codecs("bytes").build();
      var serverBuilder =
          Tether.<byte[], byte[]>server(BenchMessages.RAW_TYPES)
              .config(config)
              .onMessage((c, m) -> received.incrementAndGet());
      var clientBuilder = Tether.<byte[], byte[]>client(BenchMessages.RAW_TYPES).config(config);
      if (tls) {
        serverBuilder.tls(TlsKeys.tetherServer());
        clientBuilder.tls(TlsKeys.tetherClient());
      }
      server = serverBuilder.bind(new InetSocketAddress("127.0.0.1", 0));
      client = clientBuilder.connect(server.address());
    } else {
      netty = new NettyPeers(tls, (c, m) -> received.incrementAndGet());
      channel = netty.connect((c, m) -> {});
    }
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void oneWay() {
    if (client != null) {
      for (int i = 0; i < BATCH; i++) {
        client.send(message);
      }
    } else {
      if (!channel.isWritable()) {
        NettyPeers.awaitWritable(channel);
      }
      channel
          .eventLoop()
          .execute(
              () -> {
                for (int i = 0; i < BATCH; i++) {
                  channel.write(message, channel.voidPromise());
                }
                channel.flush();
              });
    }
    sent += BATCH;
    Await.atLeast(received::get, sent, transport);
  }

  @TearDown
  public void tearDown() {
    if (client != null) {
      client.close();
      server.close(Duration.ofSeconds(5));
    } else {
      channel.close().syncUninterruptibly();
      netty.close();
    }
  }
}
