package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.FaultProxy;
import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The peer pool over real sockets: lazy, one connection per peer, reconnect with backoff. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PeerPoolTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final long SELF = 100;

  private final List<AutoCloseable> closeAfter = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeAfter.size() - 1; i >= 0; i--) {
      closeAfter.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closing(T resource) {
    closeAfter.add(resource);
    return resource;
  }

  /** A peer that answers Msg(text) with Msg(text + " from " + name). */
  private Server<Object, Object> peer(long nodeId, String name) {
    return closing(
        Tether.server(TestTypes.TYPES)
            .config(TetherConfig.builder().codecs("test").nodeId(nodeId).build())
            .name(name)
            .onRequest(Msg.class, (c, msg) -> new Msg(msg.text() + " from " + name, msg.seq()))
            .bind(new InetSocketAddress("127.0.0.1", 0)));
  }

  private PeerPool<Object, Object> pool(PeerResolver resolver) {
    return pool(resolver, PeerPool.DEFAULT_FIRST_RETRY_DELAY);
  }

  private PeerPool<Object, Object> pool(PeerResolver resolver, Duration firstRetryDelay) {
    return closing(
        Tether.client(TestTypes.TYPES)
            .config(TetherConfig.builder().codecs("test").nodeId(SELF).build())
            .peerPool(resolver, firstRetryDelay, firstRetryDelay.multipliedBy(8)));
  }

  private static Msg ask(PeerPool<Object, Object> pool, long nodeId, String text) throws Exception {
    return pool.request(nodeId, new Msg(text, nodeId), Msg.class).get(10, TimeUnit.SECONDS);
  }

  private static InetSocketAddress deadAddress() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return new InetSocketAddress("127.0.0.1", socket.getLocalPort()); // nothing listens after
    }
  }

  @Test
  void concurrentFirstUsesOfAPeerShareOneConnection() throws Exception {
    Server<Object, Object> one = peer(1, "one");
    PeerPool<Object, Object> pool = pool(new PeerAddresses().put(1, one.address()));
    ExecutorService threads = Executors.newFixedThreadPool(16);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Connection<Object, Object>>> uses = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        uses.add(
            threads.submit(
                () -> {
                  go.await();
                  return pool.connection(1);
                }));
      }
      go.countDown();
      Set<Connection<Object, Object>> distinct = new HashSet<>();
      for (Future<Connection<Object, Object>> use : uses) {
        distinct.add(use.get(20, TimeUnit.SECONDS));
      }

      assertThat(distinct).hasSize(1);
      assertThat(one.metrics().acceptedConnections()).isEqualTo(1);
      assertThat(ask(pool, 1, "hi")).isEqualTo(new Msg("hi from one", 1));
      assertThat(one.metrics().acceptedConnections()).isEqualTo(1);
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void aPeerIsConnectedOnlyWhenFirstUsed() throws Exception {
    Server<Object, Object> one = peer(1, "one");
    PeerPool<Object, Object> pool = pool(new PeerAddresses().put(1, one.address()));

    assertThat(pool.openConnection(1)).isEmpty();
    assertThat(one.metrics().acceptedConnections()).isZero();

    pool.send(1, new Msg("first use", 1));

    assertThat(pool.openConnection(1)).isPresent();
    assertThat(one.metrics().acceptedConnections()).isEqualTo(1);
  }

  @Test
  void aPeerTheResolverDoesNotKnowFailsWithAnErrorNamingItsNodeId() {
    PeerPool<Object, Object> pool = pool(new PeerAddresses().put(1, new InetSocketAddress(1)));

    assertThatThrownBy(() -> pool.connection(42))
        .isInstanceOfSatisfying(
            UnknownPeerException.class, e -> assertThat(e.nodeId()).isEqualTo(42))
        .hasMessageContaining("node 42")
        .hasMessageContaining("PeerAddresses{1=");
  }

  @Test
  void aPeerWhoseConnectionClosedIsReconnectedOnTheNextUse() throws Exception {
    Server<Object, Object> one = peer(1, "one");
    PeerPool<Object, Object> pool = pool(new PeerAddresses().put(1, one.address()));
    Connection<Object, Object> first = pool.connection(1);
    await().atMost(WAIT).until(() -> one.connection(SELF).isPresent());

    one.connection(SELF).get().close(); // the peer ends the connection

    await().atMost(WAIT).until(() -> !first.isOpen());
    assertThat(pool.openConnection(1)).isEmpty();
    assertThat(ask(pool, 1, "again")).isEqualTo(new Msg("again from one", 1));
    assertThat(pool.connection(1)).isNotSameAs(first);
    assertThat(one.metrics().acceptedConnections()).isEqualTo(2);
  }

  @Test
  void aConnectTheServerRefusesFailsNamingTheNodeAndKeepsItsType() throws Exception {
    Server<Object, Object> full =
        closing(
            Tether.server(TestTypes.TYPES)
                .config(TetherConfig.builder().codecs("test").nodeId(1).build())
                .maxConnections(1)
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    Connection<Object, Object> holder =
        closing(
            Tether.client(TestTypes.TYPES)
                .config(TetherConfig.builder().codecs("test").build())
                .connect(full.address()));
    assertThat(holder.isOpen()).isTrue();
    PeerPool<Object, Object> pool = pool(new PeerAddresses().put(1, full.address()));

    assertThatThrownBy(() -> pool.connection(1))
        .isExactlyInstanceOf(HandshakeException.class)
        .hasMessageContaining("node 1: ")
        .hasMessageContaining("is at its limit of 1 connections")
        .hasCauseExactlyInstanceOf(HandshakeException.class)
        .satisfies(
            e -> {
              HandshakeException h = (HandshakeException) e;
              HandshakeException original = (HandshakeException) e.getCause();
              assertThat(h.code()).isEqualTo(original.code());
              assertThat(h.isRemote()).isTrue();
              assertThat(h.reason()).isEqualTo("node 1: " + original.reason());
            });
  }

  @Test
  void aDownPeerIsNotDialledAgainUntilItsRetryDelayHasPassed() throws Exception {
    InetSocketAddress dead = deadAddress();
    AtomicInteger resolves = new AtomicInteger();
    PeerAddresses peers = new PeerAddresses().put(1, dead);
    PeerResolver counting =
        nodeId -> {
          resolves.incrementAndGet();
          return peers.resolve(nodeId);
        };
    PeerPool<Object, Object> pool = pool(counting, Duration.ofSeconds(2));

    assertThatThrownBy(() -> pool.connection(1))
        .isExactlyInstanceOf(TetherException.class)
        .hasMessageStartingWith("node 1: cannot connect to 127.0.0.1:" + dead.getPort())
        .hasMessageContaining("Connection refused");
    long failedAt = System.nanoTime();
    int fastFailures = 0;
    while (System.nanoTime() - failedAt < TimeUnit.MILLISECONDS.toNanos(500)) {
      assertThatThrownBy(() -> pool.connection(1))
          .isInstanceOf(TetherException.class)
          .hasMessageContaining("node 1 (last tried at " + dead)
          .hasMessageContaining("1 connect failed in a row, the last with: cannot connect to")
          .hasMessageContaining("not trying again for");
      fastFailures++;
    }

    assertThat(resolves).as("connect attempts").hasValue(1);
    assertThat(fastFailures).isPositive();

    Server<Object, Object> one = peer(1, "one");
    peers.put(1, one.address()); // the peer is back, somewhere else
    Msg answer =
        await()
            .atMost(WAIT)
            .pollInterval(Duration.ofMillis(100))
            .ignoreExceptions()
            .until(() -> ask(pool, 1, "back?"), m -> m != null);
    assertThat(answer).isEqualTo(new Msg("back? from one", 1));
    assertThat(resolves).hasValue(2);
  }

  @Test
  void aRequestToAPeerThatNeverAnswersItsConnectFailsWithinTheRequestsOwnTimeout()
      throws Exception {
    // a black hole: the kernel completes the TCP connect, nobody ever reads or answers the HELLO
    ServerSocket silent = closing(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    PeerAddresses peers =
        new PeerAddresses().put(1, new InetSocketAddress("127.0.0.1", silent.getLocalPort()));
    PeerPool<Object, Object> pool =
        closing(
            Tether.client(TestTypes.TYPES)
                .config(
                    TetherConfig.builder()
                        .codecs("test")
                        .nodeId(SELF)
                        .handshakeTimeout(Duration.ofSeconds(20))
                        .requestTimeout(Duration.ofMillis(400))
                        .build())
                .peerPool(peers));

    long start = System.nanoTime();
    CompletableFuture<Msg> own =
        pool.request(1, new Msg("anyone?", 1), Msg.class, Duration.ofMillis(300));
    CompletableFuture<Object> byConfig = pool.request(1, new Msg("anyone?", 2));

    assertThatThrownBy(() -> own.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(TetherTimeoutException.class)
        .hasMessageContaining("node 1")
        .hasMessageContaining("300 ms");
    assertThatThrownBy(() -> byConfig.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(TetherTimeoutException.class)
        .hasMessageContaining("node 1")
        .hasMessageContaining("400 ms");
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .as("both requests ended by their timeouts, not the 20 s handshake timeout")
        .isLessThan(Duration.ofSeconds(5));
    // a timeout too long for nanoseconds means "never", as on a connection
    assertThat(
            pool.request(1, new Msg("forever", 3), Msg.class, Duration.ofSeconds(Long.MAX_VALUE)))
        .isNotDone();
  }

  @Test
  void closingThePoolAbandonsAConnectThatIsStillWaitingForItsHandshake() throws Exception {
    ServerSocket silent = closing(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    PeerAddresses peers =
        new PeerAddresses().put(1, new InetSocketAddress("127.0.0.1", silent.getLocalPort()));
    PeerPool<Object, Object> pool =
        closing(
            Tether.client(TestTypes.TYPES)
                .config(
                    TetherConfig.builder()
                        .codecs("test")
                        .nodeId(SELF)
                        .handshakeTimeout(Duration.ofSeconds(30))
                        .build())
                .peerPool(peers));
    CompletableFuture<Connection<Object, Object>> connecting = pool.connectionAsync(1);
    Socket accepted = closing(silent.accept()); // the TCP connect is made; the HELLO is never read

    long start = System.nanoTime();
    pool.close();

    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .as("the close, which has nothing to wait for")
        .isLessThan(Duration.ofSeconds(2));
    assertThatThrownBy(() -> connecting.get(2, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("the peer pool closed, while connecting to it");
    accepted.setSoTimeout(2000);
    byte[] sink = new byte[4096];
    // the connect's socket is closed, not left until its 30 s handshake timeout
    assertThat(accepted.getInputStream().read(sink)).isPositive(); // the preamble and HELLO
    assertThatCode(
            () -> {
              while (accepted.getInputStream().read(sink) >= 0) {
                // drain to the end of the stream
              }
            })
        .doesNotThrowAnyException();
  }

  @Test
  void aPeerRegisteredAgainAtANewAddressIsReachedThereFromItsNextConnect() throws Exception {
    Server<Object, Object> before = peer(1, "before");
    PeerAddresses peers = new PeerAddresses().put(1, before.address());
    PeerPool<Object, Object> pool = pool(peers);
    assertThat(ask(pool, 1, "hello")).isEqualTo(new Msg("hello from before", 1));

    Server<Object, Object> after = peer(1, "after");
    peers.put(1, after.address());
    assertThat(ask(pool, 1, "still"))
        .as("the open connection is kept until it closes")
        .isEqualTo(new Msg("still from before", 1));
    Connection<Object, Object> old = pool.connection(1);
    before.close();
    await().atMost(WAIT).until(() -> !old.isOpen());

    assertThat(ask(pool, 1, "moved")).isEqualTo(new Msg("moved from after", 1));
  }

  @Test
  void theServerReachedMustAnnounceTheNodeIdAskedFor() {
    Server<Object, Object> one = peer(1, "one");
    PeerPool<Object, Object> pool = pool(new PeerAddresses().put(2, one.address()));

    assertThatThrownBy(() -> pool.connection(2))
        .isInstanceOf(TetherException.class)
        .hasMessageContaining("expected node 2")
        .hasMessageContaining("announced node 1");
    await().atMost(WAIT).until(() -> one.connections().isEmpty());
  }

  @Test
  void aHostNameIsLookedUpAgainAtEachConnect() throws Exception {
    Server<Object, Object> one = peer(1, "one");
    int port = ((InetSocketAddress) one.address()).getPort();
    PeerAddresses peers = new PeerAddresses().putHost(1, "localhost", port);
    AtomicInteger resolves = new AtomicInteger();
    PeerPool<Object, Object> pool =
        pool(
            nodeId -> {
              resolves.incrementAndGet();
              return peers.resolve(nodeId);
            });

    Connection<Object, Object> first = pool.connection(1);
    assertThat(((InetSocketAddress) first.peer().address()).isUnresolved()).isFalse();
    pool.disconnect(1);
    await().atMost(WAIT).until(() -> !first.isOpen());
    assertThat(ask(pool, 1, "again")).isEqualTo(new Msg("again from one", 1));

    assertThat(resolves).hasValue(2);
    assertThat(peers.resolve(1).get())
        .isEqualTo(InetSocketAddress.createUnresolved("localhost", port));
  }

  @Test
  void aClosedPoolClosesItsConnectionsAndRefusesUse() throws Exception {
    Server<Object, Object> one = peer(1, "one");
    PeerPool<Object, Object> pool = pool(new PeerAddresses().put(1, one.address()));
    Connection<Object, Object> connection = pool.connection(1);

    pool.close();

    ConnectionClosedException cause =
        connection.onClose().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(cause.code()).isEqualTo(GoAwayCode.NORMAL);
    assertThatThrownBy(() -> pool.connection(1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> pool.request(1, new Msg("late", 1)))
        .isInstanceOf(IllegalStateException.class);
  }

  /**
   * A resolver that closes its own pool (its membership says the cluster is gone) is not made to
   * wait for the connect it is part of, which waits for it: that close used to sit out the whole
   * close deadline. The connect it was resolving for fails, naming the closed pool, rather than
   * handing out a connection of a closed pool.
   */
  @Test
  void aPoolClosedByItsOwnResolverClosesAtOnceAndRefusesTheConnect() throws Exception {
    Server<Object, Object> one = peer(1, "one");
    Duration drain = Duration.ofSeconds(30); // the pool's close waits up to this and a second
    AtomicReference<PeerPool<Object, Object>> self = new AtomicReference<>();
    CompletableFuture<Duration> closeTook = new CompletableFuture<>();
    PeerPool<Object, Object> pool =
        closing(
            Tether.client(TestTypes.TYPES)
                .config(
                    TetherConfig.builder().codecs("test").nodeId(SELF).drainTimeout(drain).build())
                .peerPool(
                    nodeId -> {
                      long start = System.nanoTime();
                      self.get().close();
                      closeTook.complete(Duration.ofNanos(System.nanoTime() - start));
                      return Optional.of(one.address());
                    }));
    self.set(pool);

    assertThatThrownBy(() -> pool.connection(1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");

    assertThat(closeTook.get(60, TimeUnit.SECONDS)).isLessThan(drain.dividedBy(2));
    await().atMost(WAIT).until(() -> one.connections().isEmpty());
  }

  @Test
  void aConnectionThatReconnectsByItselfStaysThePoolsConnectionAcrossAReset() throws Exception {
    Server<Object, Object> one = peer(1, "one");
    FaultProxy proxy = closing(new FaultProxy(one.address()));
    PeerPool<Object, Object> pool =
        closing(
            Tether.client(TestTypes.TYPES)
                .config(TetherConfig.builder().codecs("test").nodeId(SELF).build())
                .reconnect(
                    ReconnectPolicy.builder()
                        .backoff(Duration.ofMillis(5), Duration.ofMillis(100))
                        .build())
                .peerPool(new PeerAddresses().put(1, proxy.address())));
    Connection<Object, Object> connection = pool.connection(1);
    assertThat(ask(pool, 1, "before")).isEqualTo(new Msg("before from one", 1));

    proxy.resetAll();

    assertThat(ask(pool, 1, "after")).isEqualTo(new Msg("after from one", 1));
    assertThat(pool.connection(1)).isSameAs(connection);
    assertThat(proxy.accepted()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void aConnectionFollowingItsPeersRestartStaysThePoolsOwnAndClosesWithThePool() throws Exception {
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Server<Object, Object> before = peer(1, "before");
    InetSocketAddress address = (InetSocketAddress) before.address();
    PeerPool<Object, Object> pool =
        closing(
            Tether.client(TestTypes.TYPES)
                .config(TetherConfig.builder().codecs("test").nodeId(SELF).build())
                .reconnect(
                    ReconnectPolicy.builder()
                        .backoff(Duration.ofMillis(5), Duration.ofMillis(100))
                        .build())
                .onMessage(
                    (c, m) -> {
                      holding.countDown();
                      release.await(); // the client's side of the shutdown waits for this handler
                    })
                .peerPool(new PeerAddresses().put(1, address)));
    Connection<Object, Object> first = pool.connection(1);
    before.connections().get(0).send(new Msg("hold on", 0));
    assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
    Thread shutdown = new Thread(before::close, "shutdown"); // GOAWAY(SHUTTING_DOWN), then waits
    shutdown.start();
    await().atMost(WAIT).until(() -> !first.isOpen()); // answering the shutdown
    Server<Object, Object> after =
        closing(
            Tether.server(TestTypes.TYPES)
                .config(TetherConfig.builder().codecs("test").nodeId(1).build())
                .onRequest(Msg.class, (c, msg) -> new Msg(msg.text() + " from after", msg.seq()))
                .bind(address));

    // used meanwhile, the pool keeps the connection that comes back, not a second one
    CompletableFuture<Msg> meanwhile = pool.request(1, new Msg("meanwhile", 1), Msg.class);
    release.countDown();
    shutdown.join(WAIT.toMillis());
    Msg answered =
        await().atMost(WAIT).ignoreExceptions().until(() -> ask(pool, 1, "hi"), m -> m != null);
    assertThat(answered).isEqualTo(new Msg("hi from after", 1));
    assertThat(after.connections()).as("connections of the pool at the peer").hasSize(1);
    assertThat(pool.connection(1)).isSameAs(first);
    // refused during the exchange, as any send then, saying that the connection comes back
    assertThatThrownBy(() -> meanwhile.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
        .hasCauseInstanceOf(ConnectionClosedException.class)
        .hasMessageContaining("reconnects");

    pool.close();
    await().atMost(WAIT).untilAsserted(() -> assertThat(after.connections()).isEmpty());
    assertThat(first.isOpen()).isFalse();
  }

  @Test
  void nodeIdZeroIsRefused() {
    PeerPool<Object, Object> pool = pool(new PeerAddresses());

    assertThatThrownBy(() -> pool.connection(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new PeerAddresses().put(0, new InetSocketAddress(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
