package dev.tether.bench.tls;

import dev.tether.Connection;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.bench.support.BenchMessages;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.time.Duration;
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
 * Round trip of a 64-byte message, with and without TLS, Tether and Netty in the same run: Tether
 * {@code request(message).get()} with handlers on the event loop (Netty's model); Netty {@code
 * writeAndFlush}, the server writing it back on its loop, the client's handler completing a future.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TlsLatency {
  @Param({"tether", "tether-tls", "netty", "netty-tls"})
  public String transport;

  private final byte[] message = new byte[64];

  private Server<byte[], byte[]> server;
  private Connection<byte[], byte[]> client;
  private NettyPeers netty;
  private Channel channel;
  private volatile CompletableFuture<byte[]> pending;

  @Setup
  public void setUp() throws Exception {
    boolean tls = transport.endsWith("-tls");
    if (transport.startsWith("tether")) {
      TetherConfig config = TetherConfig.builder().codecs("bytes").handlersOnEventLoop().build();
      var serverBuilder =
          Tether.<byte[], byte[]>server(BenchMessages.RAW_TYPES)
              .config(config)
              .onRequest((c, m) -> m);
      var clientBuilder = Tether.<byte[], byte[]>client(BenchMessages.RAW_TYPES).config(config);
      if (tls) {
        serverBuilder.tls(TlsKeys.tetherServer());
        clientBuilder.tls(TlsKeys.tetherClient());
      }
      server = serverBuilder.bind(new InetSocketAddress("127.0.0.1", 0));
      client = clientBuilder.connect(server.address());
    } else {
      netty = new NettyPeers(tls, (c, m) -> c.writeAndFlush(m, c.voidPromise()));
      channel = netty.connect((c, m) -> pending.complete(m));
    }
  }

  @Benchmark
  public byte[] roundTrip() throws InterruptedException, ExecutionException, TimeoutException {
    if (client != null) {
      return client.request(message).get(10, TimeUnit.SECONDS);
    }
    CompletableFuture<byte[]> future = new CompletableFuture<>();
    pending = future;
    channel.writeAndFlush(message, channel.voidPromise());
    return future.get(10, TimeUnit.SECONDS);
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
