package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.FaultProxy;
import dev.tether.testing.InOrder;
import dev.tether.testing.Msg;
import dev.tether.testing.Resources;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Resumption (PROTOCOL.md §13) through a network that misbehaves in every way the fault proxy
 * knows, mixed at random: resets, black holes shorter and longer than the idle timeout (so that
 * some are survived by the socket and some are detected and reconnected), bytes split one by one,
 * and delays. Both sides stream messages and send requests, with handlers on the loop or the pool
 * by the seed; every message and request reaches the other handler exactly once, in order, in one
 * session. 32 seeds passed locally; the build runs three (about 8 s).
 *
 * <p>A client that closes at a random moment of that stream keeps PROTOCOL.md §8's promise: either
 * the close is graceful and every message arrived, or {@code close()} throws saying what was not
 * confirmed. The three seeds the build runs cover both (20 passed locally).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ResumptionFaultMixTest {
  /** Messages each way, paced at about ten a millisecond so that the faults meet a live stream. */
  private static final int MESSAGES = 20_000;

  private static final int REQUESTS = 500;

  private final Resources resources = new Resources();

  @AfterEach
  void closeResources() {
    resources.close();
  }

  private <T extends AutoCloseable> T track(T resource) {
    return resources.track(resource);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void everythingArrivesOnceThroughMixedFaults(long seed) throws Exception {
    Random random = new Random(seed * 0x9E3779B97F4A7C15L);
    boolean serverOnLoop = random.nextBoolean();
    boolean clientOnLoop = random.nextBoolean();
    TetherConfig serverConfig = handlers(fastHeartbeats(), serverOnLoop).build();
    TetherConfig clientConfig = handlers(fastHeartbeats(), clientOnLoop).build();
    InOrder serverGot = new InOrder();
    InOrder clientGot = new InOrder();
    AtomicInteger resumed = new AtomicInteger();
    AtomicInteger lost = new AtomicInteger();
    AtomicReference<Thread> serverStream = new AtomicReference<>();
    List<CompletableFuture<Object>> serverAsked = new ArrayList<>();
    Server<Object, Object> server =
        track(
            Tether.server(TestTypes.TYPES)
                .config(serverConfig)
                .onConnection(
                    c -> {
                      Thread t =
                          new Thread(
                              () -> {
                                for (int i = 0; i < MESSAGES; i++) {
                                  c.send(new Msg("s", i));
                                  if (i % 10 == 0) {
                                    LockSupport.parkNanos(1_000_000);
                                  }
                                  if (i % (MESSAGES / REQUESTS) == 0) {
                                    synchronized (serverAsked) {
                                      serverAsked.add(
                                          c.request(
                                              new Msg("sq", serverAsked.size()),
                                              Duration.ofSeconds(120)));
                                    }
                                  }
                                }
                              },
                              "server-stream");
                      t.setDaemon(true);
                      serverStream.set(t);
                      t.start();
                    })
                .onMessage((c, m) -> serverGot.accept(((Msg) m).seq()))
                .onRequest((c, m) -> new Msg("re:" + ((Msg) m).text(), ((Msg) m).seq()))
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    FaultProxy proxy = track(new FaultProxy(server.address()));
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .config(clientConfig)
                .reconnect(
                    ReconnectPolicy.builder()
                        .backoff(Duration.ofMillis(5), Duration.ofMillis(100))
                        .giveUpAfter(Duration.ofSeconds(60))
                        .build())
                .onReconnect(
                    new ReconnectListener<>() {
                      @Override
                      public void onResumed(Connection<Object, Object> c, int attempts) {
                        resumed.incrementAndGet();
                      }

                      @Override
                      public void onSessionLost(
                          Connection<Object, Object> c,
                          long maybeLost,
                          ConnectionClosedException cause) {
                        lost.incrementAndGet();
                      }
                    })
                .onMessage((c, m) -> clientGot.accept(((Msg) m).seq()))
                .onRequest((c, m) -> new Msg("re:" + ((Msg) m).text(), ((Msg) m).seq()))
                .connect(proxy.address()));

    AtomicReference<String> log = new AtomicReference<>("");
    Thread chaos = new Thread(() -> chaos(proxy, new Random(seed * 31), log), "chaos");
    chaos.setDaemon(true);
    chaos.start();
    List<CompletableFuture<Object>> answers = new ArrayList<>();
    for (int i = 0; i < MESSAGES; i++) {
      client.send(new Msg("c", i));
      if (i % 10 == 0) {
        LockSupport.parkNanos(1_000_000);
      }
      if (i % (MESSAGES / REQUESTS) == 0) {
        answers.add(client.request(new Msg("q", answers.size()), Duration.ofSeconds(120)));
      }
    }
    try {
      for (int i = 0; i < answers.size(); i++) {
        assertThat(answers.get(i).get(120, TimeUnit.SECONDS)).isEqualTo(new Msg("re:q", i));
      }
      await()
          .atMost(Duration.ofSeconds(120))
          .until(() -> serverGot.count() >= MESSAGES && clientGot.count() >= MESSAGES);
      serverStream.get().join(10_000);
      synchronized (serverAsked) {
        for (int i = 0; i < serverAsked.size(); i++) {
          assertThat(serverAsked.get(i).get(120, TimeUnit.SECONDS)).isEqualTo(new Msg("re:sq", i));
        }
      }
    } finally {
      chaos.interrupt();
      chaos.join(10_000);
      System.out.printf(
          "seed %d loops %s/%s: server got %d (%s), client got %d (%s), resumed %d, lost %d,"
              + " accepted %d%n  faults: %s%n",
          seed,
          serverOnLoop,
          clientOnLoop,
          serverGot.count(),
          serverGot.problem(),
          clientGot.count(),
          clientGot.problem(),
          resumed.get(),
          lost.get(),
          proxy.accepted(),
          log.get());
    }
    assertThat(serverGot.problem()).isNull();
    assertThat(clientGot.problem()).isNull();
    assertThat(lost.get()).isZero();
    assertThat(server.connections()).hasSize(1);
  }

  @ParameterizedTest
  @ValueSource(longs = {2, 3, 6})
  void aCloseAtAnyMomentDeliversEverythingOrSaysWhatWasNot(long seed) throws Exception {
    Random random = new Random(seed * 0x9E3779B97F4A7C15L);
    InOrder serverGot = new InOrder();
    Server<Object, Object> server =
        track(
            Tether.server(TestTypes.TYPES)
                .config(fastHeartbeats().build())
                .onMessage((c, m) -> serverGot.accept(((Msg) m).seq()))
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    FaultProxy proxy = track(new FaultProxy(server.address()));
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .config(fastHeartbeats().drainTimeout(Duration.ofSeconds(3)).build())
                .reconnect(
                    ReconnectPolicy.builder()
                        .backoff(Duration.ofMillis(5), Duration.ofMillis(100))
                        .build())
                .connect(proxy.address()));
    AtomicReference<String> log = new AtomicReference<>("");
    Thread chaos = new Thread(() -> chaos(proxy, new Random(seed * 31), log), "chaos");
    chaos.setDaemon(true);
    chaos.start();
    int sent = 0;
    int closeAt = 2_000 + random.nextInt(10_000);
    for (; sent < closeAt; sent++) {
      client.send(new Msg("c", sent));
      if (sent % 10 == 0) {
        LockSupport.parkNanos(1_000_000);
      }
    }
    ConnectionClosedException thrown = null;
    try {
      client.close();
    } catch (ConnectionClosedException e) {
      thrown = e;
    } finally {
      chaos.interrupt();
      chaos.join(10_000);
    }
    ConnectionClosedException cause =
        client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
    System.out.printf(
        "seed %d: sent %d, server got %d (%s); close %s%n  faults: %s%n",
        seed,
        sent,
        serverGot.count(),
        serverGot.problem(),
        thrown == null ? "returned" : "threw: " + thrown.getMessage(),
        log.get());
    assertThat(serverGot.problem()).isNull();
    // PROTOCOL.md §8's promise: everything arrives, or the sender is told
    if (thrown == null) {
      assertThat(cause.isGraceful()).as(cause.reason()).isTrue();
      await().atMost(Duration.ofSeconds(20)).until(() -> serverGot.count() == closeAt);
    } else {
      assertThat(cause.isGraceful()).isFalse();
      assertThat(thrown.reason()).containsAnyOf("never written", "not acknowledged", "confirm");
      assertThat(serverGot.count()).isLessThanOrEqualTo(closeAt);
    }
  }

  /**
   * Heartbeats every 100 ms and a 400 ms idle timeout: black holes of up to 0.9 s are both kinds.
   */
  private static TetherConfig.Builder handlers(TetherConfig.Builder builder, boolean onLoop) {
    return onLoop ? builder.handlersOnEventLoop() : builder.handlersOnPool();
  }

  private static TetherConfig.Builder fastHeartbeats() {
    return TetherConfig.builder()
        .codecs("test")
        .heartbeatInterval(Duration.ofMillis(100))
        .idleTimeout(Duration.ofMillis(400));
  }

  /** Injects one fault every 10..80 ms until interrupted, logging each for the failure message. */
  private static void chaos(FaultProxy proxy, Random random, AtomicReference<String> log) {
    StringBuilder faults = new StringBuilder();
    try {
      while (!Thread.currentThread().isInterrupted()) {
        park(10 + random.nextInt(70));
        int kind = random.nextInt(5);
        switch (kind) {
          case 0, 1 -> {
            faults.append('R');
            proxy.resetAll();
          }
          case 2 -> {
            int ms = random.nextInt(900);
            faults.append("H").append(ms).append(' ');
            proxy.mode(FaultProxy.Mode.BLACK_HOLE);
            park(ms);
            proxy.mode(FaultProxy.Mode.PASS);
          }
          case 3 -> {
            faults.append('F');
            proxy.mode(FaultProxy.Mode.FRAGMENT);
            park(random.nextInt(50));
            proxy.mode(FaultProxy.Mode.PASS);
          }
          default -> {
            faults.append('D');
            proxy.delayMillis(1 + random.nextInt(5));
            park(random.nextInt(100));
            proxy.delayMillis(0);
          }
        }
        log.set(faults.toString());
      }
    } catch (Exception e) {
      faults.append(" stopped: ").append(e);
      log.set(faults.toString());
    }
    proxy.mode(FaultProxy.Mode.PASS);
    proxy.delayMillis(0);
  }

  private static void park(long millis) {
    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
    if (Thread.currentThread().isInterrupted()) {
      throw new IllegalStateException("interrupted");
    }
  }
}
