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
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cluster features over mutual TLS through a route that misbehaves at random ({@link
 * ChaosRoute}): resets in the middle of a TLS record, one direction stalled, new connections
 * refused or black-holed, servers restarted on the same port. Same promises as {@link
 * ClusterChaosTest}, and the servers log no ERROR.
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

  private TlsConfig serverTls() {
    return pki.serverTls().requireClientCertificate().build();
  }

  private TlsConfig clientTls(String name) {
    return pki.client(name).presenting().trustCertificates(pki.caFile()).build();
  }

  private static void inject(
      ChaosRoute route, int fault, long hold, Random random, Runnable hard, Runnable planned) {
    switch (fault) {
      case 0 -> route.resetAll();
      case 1 -> route.cutMidChunk();
      case 2 -> {
        Direction d = Direction.values()[random.nextInt(2)];
        route.stall(d, true);
        ChaosRoute.pause(hold);
        route.stall(d, false);
      }
      case 3 -> {
        route.refuse(true).resetAll();
        ChaosRoute.pause(hold);
        route.refuse(false);
      }
      case 4 -> {
        route.blackHoleNew(true).resetAll();
        ChaosRoute.pause(hold);
        route.blackHoleNew(false);
      }
      case 5 -> ChaosRoute.pause(hold);
      case 6 -> {
        route.stall(Direction.DOWN, true).stall(Direction.UP, true);
        hard.run();
        route.resetAll();
        route.stall(Direction.DOWN, false).stall(Direction.UP, false);
      }
      default -> planned.run();
    }
  }

  private static Server<Object, Object> bindAgain(Callable<Server<Object, Object>> bind) {
    return await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(10))
        .ignoreExceptionsMatching(e -> e.getCause() instanceof BindException)
        .until(bind, Objects::nonNull);
  }

  private static Thread chaos(Runnable faults) {
    Thread chaos = new Thread(faults, "chaos");
    chaos.setDaemon(true);
    chaos.start();
    return chaos;
  }

  /** Lines logged at ERROR, and failures told without words ("null" for a message). */
  private List<String> errors() {
    return log.lines().stream().filter(l -> l.contains(" ERROR ") || l.contains(": null")).toList();
  }

  // ------------------------------------------------------------------------------------- client

  private static final class Seen {
    long last = -1;
    long gaps;
    final StringBuilder problems = new StringBuilder();
    final Map<Long, Integer> requests = new ConcurrentHashMap<>();

    synchronized void message(long seq) {
      if (seq <= last) {
        problems.append("message ").append(seq).append(" after ").append(last).append("; ");
      } else {
        gaps += seq - last - 1;
      }
      last = seq;
    }

    synchronized long last() {
      return last;
    }
  }

  private Server<Object, Object> resumable(InetSocketAddress at, Seen seen) {
    return Tether.server(TestTypes.TYPES)
        .config(fast().drainTimeout(Duration.ofSeconds(5)).build())
        .tls(serverTls())
        .authorizer(request -> Admission.admit())
        .onMessage((c, m) -> seen.message(((Msg) m).seq()))
        .onRequest(
            (c, m) -> {
              seen.requests.merge(((Msg) m).seq(), 1, Integer::sum);
              return m;
            })
        .bind(at);
  }

  @ParameterizedTest
  @ValueSource(longs = {2, 3})
  void aResumingTlsClientThroughChaosAndRestartsLosesOnlyWhatItIsToldOfAndNothingTwice(long seed)
      throws Exception {
    Seen seen = new Seen();
    List<Server<Object, Object>> servers = Collections.synchronizedList(new ArrayList<>());
    servers.add(resumable(new InetSocketAddress("127.0.0.1", 0), seen));
    InetSocketAddress address = (InetSocketAddress) servers.get(0).address();
    ChaosRoute route = track(new ChaosRoute(address));
    Runnable hard =
        () -> {
          servers.get(servers.size() - 1).close(Duration.ofMillis(300));
          servers.add(bindAgain(() -> resumable(address, seen)));
        };
    Runnable planned =
        () -> {
          servers.get(servers.size() - 1).close();
          servers.add(bindAgain(() -> resumable(address, seen)));
        };
    AtomicLong maybeLost = new AtomicLong();
    AtomicInteger lost = new AtomicInteger();
    AtomicInteger resumed = new AtomicInteger();
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .config(fast().build())
                .tls(clientTls("node-1"))
                .reconnect(
                    ReconnectPolicy.builder()
                        .backoff(Duration.ofMillis(5), Duration.ofMillis(100))
                        .giveUpAfter(Duration.ofSeconds(30))
                        .build())
                .onReconnect(
                    new ReconnectListener<>() {
                      @Override
                      public void onResumed(Connection<Object, Object> c, int attempts) {
                        resumed.incrementAndGet();
                      }

                      @Override
                      public void onSessionLost(
                          Connection<Object, Object> c, long count, ConnectionClosedException e) {
                        lost.incrementAndGet();
                        maybeLost.addAndGet(count);
                      }
                    })
                .connect(route.address()));
    StringBuffer faults = new StringBuffer();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
    Thread chaos =
        chaos(
            () -> {
              Random r = new Random(seed * 31);
              while (System.nanoTime() - end < 0) {
                int fault = r.nextInt(8);
                long hold = 50 + r.nextInt(700);
                faults.append(fault).append('/').append(hold).append(' ');
                inject(route, fault, hold, r, hard, planned);
                ChaosRoute.pause(20 + r.nextInt(200));
              }
            });
    long sent = 0;
    List<CompletableFuture<Object>> asked = new ArrayList<>();
    StringBuilder problems = new StringBuilder();
    try {
      while (System.nanoTime() - end < 0) {
        try {
          client.send(new Msg("m", sent));
        } catch (ConnectionClosedException e) {
          if (!e.getMessage().contains("reconnects")) {
            problems.append("send refused: ").append(e.getMessage()).append("; ");
          }
          ChaosRoute.pause(1);
          continue;
        }
        sent++;
        if (sent % 50 == 0) {
          asked.add(client.request(new Msg("q", sent), Duration.ofSeconds(20)));
        }
        if (sent % 20 == 0) {
          ChaosRoute.pause(1);
        }
      }
      chaos.join(20_000);
      route.heal();
      long failedRequests = 0;
      for (CompletableFuture<Object> f : asked) {
        try {
          f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          failedRequests++;
          if (e.getCause().getMessage() == null) {
            problems.append("request failed without a reason: ").append(e.getCause());
          }
        }
      }
      long total = sent;
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> seen.last() + 1 + maybeLost.get() >= total);
      seen.requests.forEach(
          (q, n) -> {
            if (n > 1) {
              problems
                  .append("request ")
                  .append(q)
                  .append(" handled ")
                  .append(n)
                  .append(" times; ");
            }
          });
      System.out.printf(
          "seed %d: sent %d, got up to %d with %d missing, %d maybe lost in %d lost sessions,"
              + " %d resumed, %d of %d requests failed%n  faults: %s%n",
          seed,
          sent,
          seen.last(),
          seen.gaps,
          maybeLost.get(),
          lost.get(),
          resumed.get(),
          failedRequests,
          asked.size(),
          faults);
      synchronized (seen) {
        assertThat(seen.problems.toString()).as("seed %d, faults %s", seed, faults).isEmpty();
        assertThat(seen.gaps)
            .as("seed %d: messages missing beyond those reported; faults %s", seed, faults)
            .isLessThanOrEqualTo(maybeLost.get());
      }
      assertThat(problems.toString()).as("seed %d, faults %s", seed, faults).isEmpty();
      client.close();
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertThat(route.open()).as("sockets left open").isZero());
      assertThat(errors()).as("seed %d: logged; faults %s", seed, faults).isEmpty();
    } finally {
      chaos.interrupt();
      chaos.join(10_000);
      synchronized (servers) {
        servers.forEach(Server::close);
      }
    }
  }

  // ------------------------------------------------------------------------------------- pool

  private final class Peer {
    final long nodeId;
    final Set<Long> seen = ConcurrentHashMap.newKeySet();
    final AtomicInteger duplicates = new AtomicInteger();
    final InetSocketAddress address;
    final ChaosRoute route;
    volatile Server<Object, Object> server;

    Peer(long nodeId) throws Exception {
      this.nodeId = nodeId;
      this.server = start(new InetSocketAddress("127.0.0.1", 0));
      this.address = (InetSocketAddress) server.address();
      this.route = track(new ChaosRoute(address));
      track(() -> server.close());
    }

    private Server<Object, Object> start(InetSocketAddress at) {
      return Tether.server(TestTypes.TYPES)
          .config(fast().nodeId(nodeId).build())
          .tls(serverTls())
          .authorizer(request -> Admission.admit())
          .onRequest(
              (c, m) -> {
                Msg msg = (Msg) m;
                if (!seen.add(msg.seq())) {
                  duplicates.incrementAndGet();
                }
                return new Msg("re:" + msg.text(), msg.seq());
              })
          .bind(at);
    }

    synchronized void restart(boolean planned) {
      if (planned) {
        server.close();
      } else {
        server.close(Duration.ofMillis(300));
      }
      server = bindAgain(() -> start(address));
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 13})
  void aTlsPoolThroughChaosAnswersOrFailsEachRequestInTimeHealsSoonAndLeavesNothingWhenClosed(
      long seed) throws Exception {
    List<Peer> peers = new ArrayList<>();
    PeerAddresses addresses = new PeerAddresses();
    for (long id = 1; id <= 3; id++) {
      Peer p = new Peer(id);
      peers.add(p);
      addresses.put(id, p.route.address());
    }
    TetherRuntime runtime =
        track(TetherRuntime.builder().threadNamePrefix("tether-tlschaos").build());
    Duration maxRetry = Duration.ofMillis(200);
    ClientBuilder<Object, Object> builder =
        Tether.client(TestTypes.TYPES)
            .config(fast().nodeId(100).build())
            .tls(clientTls("node-100"))
            .runtime(runtime);
    if (seed > 10) {
      builder.reconnect(
          ReconnectPolicy.builder()
              .backoff(Duration.ofMillis(5), maxRetry)
              .giveUpAfter(Duration.ofSeconds(3))
              .build());
    }
    PeerPool<Object, Object> pool =
        track(builder.peerPool(addresses, Duration.ofMillis(20), maxRetry));
    StringBuffer faults = new StringBuffer();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
    Thread chaos =
        chaos(
            () -> {
              Random r = new Random(seed * 31);
              while (System.nanoTime() - end < 0) {
                Peer p = peers.get(r.nextInt(peers.size()));
                int fault = r.nextInt(8);
                long hold = 50 + r.nextInt(700);
                faults.append(p.nodeId).append(':').append(fault).append('/').append(hold);
                faults.append(' ');
                inject(p.route, fault, hold, r, () -> p.restart(false), () -> p.restart(true));
                ChaosRoute.pause(10 + r.nextInt(100));
              }
            });
    Map<String, Integer> outcomes = new ConcurrentHashMap<>();
    AtomicLong seqs = new AtomicLong();
    StringBuffer problems = new StringBuffer();
    List<Thread> drivers = new ArrayList<>();
    try {
      for (int t = 0; t < 3; t++) {
        long driverSeed = seed * 7 + t;
        Thread d =
            new Thread(
                () -> {
                  Random r = new Random(driverSeed);
                  while (System.nanoTime() - end < 0) {
                    long node = 1 + r.nextInt(3);
                    long seq = seqs.incrementAndGet();
                    long start = System.nanoTime();
                    String outcome;
                    try {
                      Msg answer =
                          pool.request(node, new Msg("q", seq), Msg.class, Duration.ofSeconds(1))
                              .get(6, TimeUnit.SECONDS);
                      if (!answer.equals(new Msg("re:q", seq))) {
                        problems.append("wrong answer " + answer + " to " + seq + "; ");
                      }
                      outcome = "answered";
                    } catch (ExecutionException e) {
                      outcome = e.getCause().getClass().getSimpleName();
                      if (e.getCause().getMessage() == null) {
                        problems.append("failed without a reason: " + e.getCause() + "; ");
                      }
                    } catch (TimeoutException e) {
                      outcome = "hung";
                      problems.append("request " + seq + " to node " + node + " hung; ");
                    } catch (InterruptedException e) {
                      return;
                    } catch (RuntimeException e) {
                      outcome = "threw " + e.getClass().getSimpleName();
                      problems.append("request " + seq + " threw " + e + "; ");
                    }
                    long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    if (took > 4000) {
                      problems.append("request " + seq + " took " + took + " ms; ");
                    }
                    outcomes.merge(outcome, 1, Integer::sum);
                  }
                },
                "driver-" + t);
        d.start();
        drivers.add(d);
      }
      chaos.join(20_000);
      for (Thread d : drivers) {
        d.join(20_000);
      }
      peers.forEach(p -> p.route.heal());
      long healedAt = System.nanoTime();
      for (Peer p : peers) {
        await()
            .atMost(Duration.ofSeconds(5))
            .pollInterval(Duration.ofMillis(10))
            .ignoreExceptions()
            .until(
                () ->
                    pool.request(p.nodeId, new Msg("h", -p.nodeId), Msg.class)
                        .get(2, TimeUnit.SECONDS)
                        .equals(new Msg("re:h", -p.nodeId)));
      }
      System.out.printf(
          "seed %d: whole again after %d ms; %s%n  faults: %s%n",
          seed, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healedAt), outcomes, faults);
      assertThat(problems.toString()).as("seed %d, faults %s", seed, faults).isEmpty();
      for (Peer p : peers) {
        assertThat(p.duplicates)
            .as("seed %d: requests handled twice at %d", seed, p.nodeId)
            .hasValue(0);
      }

      pool.close();

      for (Peer p : peers) {
        await()
            .atMost(Duration.ofSeconds(5))
            .untilAsserted(
                () ->
                    assertThat(p.server.connections())
                        .as(
                            "seed %d: connections left at node %d; faults %s",
                            seed, p.nodeId, faults)
                        .isEmpty());
        await().atMost(Duration.ofSeconds(5)).until(() -> p.route.open() == 0);
      }
      runtime.close();
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () ->
                  assertThat(
                          Thread.getAllStackTraces().keySet().stream()
                              .map(Thread::getName)
                              .filter(name -> name.startsWith("tether-tlschaos")))
                      .as("threads left")
                      .isEmpty());
      assertThat(errors()).as("seed %d: logged; faults %s", seed, faults).isEmpty();
    } finally {
      chaos.interrupt();
      drivers.forEach(Thread::interrupt);
    }
  }

  // ------------------------------------------------------------------------------------- close

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
