package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.CapturedLog;
import dev.tether.testing.ChaosRoute;
import dev.tether.testing.ChaosRoute.Direction;
import dev.tether.testing.Msg;
import dev.tether.testing.Resources;
import dev.tether.testing.TestPki;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The graceful close of PROTOCOL.md §9 over TLS 1.2 and 1.3 through a route that stalls one
 * direction for a while, closed by either side: it ends gracefully on both sides once the bytes
 * flow, everything is delivered, and nothing logs an ERROR. (The resuming client and the pool over
 * TLS under chaos are in {@link ClusterChaosTest}.)
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsClusterChaosTest {
  private final TestPki pki = TestPki.shared();
  private final Resources resources = new Resources();
  private CapturedLog log;

  @BeforeEach
  void capture() {
    log = new CapturedLog();
  }

  @AfterEach
  void closeResources() {
    resources.close();
    log.close();
  }

  private <T extends AutoCloseable> T track(T resource) {
    return resources.track(resource);
  }

  private static TetherConfig.Builder fast() {
    return TetherConfig.builder()
        .codecs("test")
        .heartbeatInterval(Duration.ofMillis(100))
        .idleTimeout(Duration.ofMillis(400))
        .handshakeTimeout(Duration.ofSeconds(2));
  }

  /** Lines logged at ERROR, and failures told without words ("null" for a message). */
  private List<String> errors() {
    return log.lines().stream().filter(l -> l.contains(" ERROR ") || l.contains(": null")).toList();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 4, 6, 8})
  void aGracefulCloseWithOneDirectionStalledEndsGracefullyOnBothSidesOnceItFlows(long seed)
      throws Exception {
    Random r = new Random(seed * 0x9E3779B97F4A7C15L);
    String protocol = r.nextBoolean() ? "TLSv1.3" : "TLSv1.2";
    boolean clientCloses = r.nextBoolean();
    Direction stalled = Direction.values()[r.nextInt(2)];
    long hold = 100 + r.nextInt(400);
    int count = 2000 + r.nextInt(5000);
    String what =
        String.format(
            "seed %d: %s, %s closes, %s stalled %d ms, %d messages",
            seed, protocol, clientCloses ? "client" : "server", stalled, hold, count);
    System.out.println(what);
    AtomicLong received = new AtomicLong();
    AtomicLong echoed = new AtomicLong();
    CompletableFuture<ConnectionClosedException> serverSaw = new CompletableFuture<>();
    CompletableFuture<Connection<Object, Object>> serverSide = new CompletableFuture<>();
    TetherConfig config =
        fast().idleTimeout(Duration.ofSeconds(5)).drainTimeout(Duration.ofSeconds(5)).build();
    Server<Object, Object> server =
        track(
            Tether.server(TestTypes.TYPES)
                .config(config)
                .tls(pki.serverTls().protocols("TLSv1.3", "TLSv1.2").build())
                .onConnection(serverSide::complete)
                .onMessage(
                    (c, m) -> {
                      received.incrementAndGet();
                      c.send(m);
                    })
                .onClose((c, cause) -> serverSaw.complete(cause))
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    ChaosRoute route = track(new ChaosRoute(server.address()));
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .config(config)
                .tls(pki.clientTls().protocols(protocol).build())
                .onMessage((c, m) -> echoed.incrementAndGet())
                .connect(route.address()));
    for (int i = 0; i < count; i++) {
      client.send(new Msg("m", i));
    }
    route.stall(stalled, true);
    CompletableFuture<Void> closing =
        CompletableFuture.runAsync(
            () -> {
              if (clientCloses) {
                client.close();
              } else {
                serverSide.join().close();
              }
            });
    ChaosRoute.pause(hold);
    route.stall(stalled, false);
    closing.get(20, TimeUnit.SECONDS);
    ConnectionClosedException cause =
        client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
    ConnectionClosedException serverCause = serverSaw.get(20, TimeUnit.SECONDS);
    assertThat(cause.isGraceful()).as("%s: client saw %s", what, cause.getMessage()).isTrue();
    assertThat(serverCause.isGraceful())
        .as("%s: server saw %s", what, serverCause.getMessage())
        .isTrue();
    assertThat(received).as(what).hasValue(count);
    if (clientCloses) {
      assertThat(echoed).as(what).hasValue(count);
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(route.open()).as("%s: sockets left open", what).isZero());
    assertThat(errors()).as(what).isEmpty();
  }
}
