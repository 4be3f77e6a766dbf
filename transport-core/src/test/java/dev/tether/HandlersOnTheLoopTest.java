package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * By default an event loop runs its connections' handlers itself, and hands itself to a new thread
 * when one blocks: whatever a handler does, the loop's other connections go on and nothing
 * deadlocks. The server here has one loop, so that every connection shares it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HandlersOnTheLoopTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final TetherConfig CONFIG = TetherConfig.builder().codecs("test").build();

  /** Handlers that always run on the loop, as Netty's do: they must never wait. */
  private static final TetherConfig ON_LOOP = CONFIG.toBuilder().handlersOnEventLoop().build();

  private final TetherRuntime serverRuntime =
      TetherRuntime.builder().eventLoops(1).threadNamePrefix("one").build();

  @AfterEach
  void closeRuntime() {
    serverRuntime.close();
  }

  private ServerBuilder<Object, Object> server() {
    return Tether.server(TestTypes.TYPES).runtime(serverRuntime).config(CONFIG);
  }

  private static Connection<Object, Object> connect(Server<?, ?> server) {
    return Tether.client(TestTypes.TYPES).config(CONFIG).connect(server.address());
  }

  @Test
  void aHandlerThatDoesNotBlockRunsOnItsEventLoop() throws Exception {
    try (Server<Object, Object> server =
            server()
                .onRequest((c, m) -> new Msg(Thread.currentThread().getName(), 0))
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client = connect(server)) {
      // the first calls may be slow enough (class loading, the interpreter) to be handed off
      await()
          .atMost(WAIT)
          .until(
              () -> ((Msg) client.request(new Msg("where", 1)).get(10, TimeUnit.SECONDS)).text(),
              name -> name.equals("one-loop-0"));
    }
  }

  @Test
  void withHandlersOnPoolHandlersNeverRunOnTheLoop() throws Exception {
    TetherConfig pool = TetherConfig.builder().codecs("test").handlersOnPool().build();
    try (Server<Object, Object> server =
            server()
                .config(pool)
                .onRequest((c, m) -> new Msg(Thread.currentThread().getName(), 0))
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client = connect(server)) {
      for (int i = 0; i < 50; i++) {
        Msg answer = (Msg) client.request(new Msg("where", i)).get(10, TimeUnit.SECONDS);
        assertThat(answer.text()).startsWith("one-handler-");
      }
    }
  }

  @Test
  void aBlockedHandlerDoesNotHoldUpTheLoopsOtherConnections() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<Long> delivered = java.util.Collections.synchronizedList(new ArrayList<>());
    try (Server<Object, Object> server =
            server()
                .onMessage(
                    (c, m) -> {
                      Msg msg = (Msg) m;
                      if (msg.text().equals("block")) {
                        // not a wait Tether knows of: the watch must notice it
                        release.await();
                      }
                      delivered.add(msg.seq());
                    })
                .onRequest((c, m) -> m)
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> blocked = connect(server);
        Connection<Object, Object> other = connect(server)) {
      blocked.send(new Msg("block", 0));
      for (int i = 1; i <= 5; i++) {
        blocked.send(new Msg("after", i));
      }
      await().atMost(WAIT).until(() -> serverRuntime.group().handOffs() >= 1);

      for (int i = 0; i < 200; i++) {
        assertThat(other.request(new Msg("q", i)).get(10, TimeUnit.SECONDS))
            .isEqualTo(new Msg("q", i));
      }
      assertThat(delivered).isEmpty();

      release.countDown();
      await().atMost(WAIT).until(() -> delivered.size() == 6);
      assertThat(delivered).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
      assertThat(((Msg) other.request(new Msg("still", 1)).get(10, TimeUnit.SECONDS)).text())
          .isEqualTo("still");
    }
  }

  @Test
  void closingTheRuntimeWhileAHandlerBlocksItsLoopClosesItsConnections() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    CompletableFuture<ConnectionClosedException> serverSawClose = new CompletableFuture<>();
    Server<Object, Object> server =
        server()
            .onMessage((c, m) -> never.await())
            .onClose((c, cause) -> serverSawClose.complete(cause))
            .bind(new InetSocketAddress("127.0.0.1", 0));
    try (Connection<Object, Object> client = connect(server)) {
      client.send(new Msg("block", 1));
      await().atMost(WAIT).until(() -> serverRuntime.group().handOffs() >= 1);

      serverRuntime.close(); // the loop the handler held went on in another thread, which stops

      assertThat(client.onClose().toCompletableFuture().get(10, TimeUnit.SECONDS)).isNotNull();
      assertThat(serverSawClose).isNotDone(); // handlers are serial: the close handler waits
      never.countDown();
      assertThat(serverSawClose.get(10, TimeUnit.SECONDS)).isNotNull();
    } finally {
      never.countDown();
    }
  }

  @Test
  void aHandlerWaitingForAnotherHandlerOnTheSameLoopIsNotDeadlocked() throws Exception {
    CountDownLatch handedOver = new CountDownLatch(1);
    try (Server<Object, Object> server =
            server()
                .onRequest(
                    (c, m) -> {
                      Msg msg = (Msg) m;
                      if (msg.text().equals("wait")) {
                        if (!handedOver.await(20, TimeUnit.SECONDS)) {
                          throw new IllegalStateException("the other handler never ran");
                        }
                        return new Msg("waited", msg.seq());
                      }
                      handedOver.countDown();
                      return new Msg("handed", msg.seq());
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> waiter = connect(server);
        Connection<Object, Object> giver = connect(server)) {
      CompletableFuture<Object> waiting = waiter.request(new Msg("wait", 1));
      assertThat(giver.request(new Msg("give", 2)).get(10, TimeUnit.SECONDS))
          .isEqualTo(new Msg("handed", 2));
      assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo(new Msg("waited", 1));
    }
  }

  @Test
  void aHandlerMayWaitForAResponseThatItsOwnLoopReads() throws Exception {
    // the server's handler asks the client back over the same connection and waits: with
    // handlers on the loop and no hand-off, the loop that must read the answer would be waiting
    try (Server<Object, Object> server =
            server()
                .onRequest(
                    (c, m) -> {
                      Msg asked = (Msg) c.request(new Msg("back", ((Msg) m).seq())).join();
                      return new Msg("via " + asked.text(), asked.seq());
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES)
                .config(CONFIG)
                .onRequest((c, m) -> new Msg("client", ((Msg) m).seq()))
                .connect(server.address())) {
      for (int i = 0; i < 20; i++) {
        assertThat(client.request(new Msg("ask", i)).get(10, TimeUnit.SECONDS))
            .isEqualTo(new Msg("via client", i));
      }
    }
  }

  @Test
  void aHandlerSendingMoreThanTheQueueHoldsWaitsForRoomAsAnyThreadWould() throws Exception {
    int messages = 12_000;
    String payload = "x".repeat(4096);
    TetherConfig small =
        TetherConfig.builder().codecs("test").maxQueuedOutboundBytes(64 * 1024).build();
    try (Server<Object, Object> server =
            server()
                .config(small)
                .onMessage(
                    (c, m) -> {
                      for (int i = 0; i < messages; i++) {
                        c.send(new Msg(payload, i)); // 48 MB into a 64 KiB queue
                      }
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES)
                .config(CONFIG.toBuilder().maxQueuedInboundMessages(1).build())
                .connect(server.address())) {
      client.send(new Msg("go", 0));
      // the client takes nothing until the socket buffers and the server's queue are full and
      // the handler, on the loop, has had to wait for room: the loop went on without it
      await().atMost(WAIT).until(() -> serverRuntime.group().handOffs() >= 1);
      for (int i = 0; i < messages; i++) {
        Msg received = (Msg) client.receive(Duration.ofSeconds(10));
        assertThat(received).isNotNull();
        assertThat(received.seq()).isEqualTo(i);
      }
      assertThat(client.isOpen()).isTrue();
    }
  }

  @Test
  void aHandlerThatAlwaysRunsOnTheLoopIsToldAtOnceThatItMayNotWaitForAResponse() throws Exception {
    // Netty throws BlockingOperationException here; blocking would stop the one loop, which must
    // read the response and fire the request's timeout: it waited forever
    CompletableFuture<Throwable> refused = new CompletableFuture<>();
    try (Server<Object, Object> server =
            server()
                .config(ON_LOOP)
                .onMessage(
                    (c, m) -> {
                      CompletableFuture<Object> answer = c.request(new Msg("back", 1));
                      try {
                        answer.join();
                        refused.complete(null);
                      } catch (Throwable t) {
                        refused.complete(t);
                      }
                      answer.whenComplete(
                          (a, e) -> c.send(new Msg("answered " + ((Msg) a).text(), 2)));
                    })
                .onRequest((c, m) -> m)
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES)
                .config(CONFIG)
                .onRequest((c, m) -> new Msg("client", ((Msg) m).seq()))
                .connect(server.address())) {
      client.send(new Msg("go", 0));

      assertThat(refused.get(10, TimeUnit.SECONDS))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("waiting for a response on an event loop would block it")
          .hasMessageContaining("handlersOnEventLoop");
      // the loop went on: the callback got the answer, and the connection serves requests
      assertThat(client.receive(Duration.ofSeconds(10))).isEqualTo(new Msg("answered client", 2));
      assertThat(client.request(new Msg("ping", 3)).get(10, TimeUnit.SECONDS))
          .isEqualTo(new Msg("ping", 3));
    }
  }

  @Test
  void aHandlerThatAlwaysRunsOnTheLoopIsToldAtOnceThatItMayNotWaitForAMessage() throws Exception {
    CompletableFuture<Connection<Object, Object>> inbox = new CompletableFuture<>();
    CompletableFuture<Throwable> refused = new CompletableFuture<>();
    try (Server<Object, Object> server =
            server()
                .config(ON_LOOP)
                .onMessage(
                    (c, m) -> {
                      try {
                        inbox.join().receive(Duration.ofSeconds(30)); // nothing will come
                        refused.complete(null);
                      } catch (Throwable t) {
                        refused.complete(t);
                      }
                    })
                .onRequest((c, m) -> m)
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client = connect(server)) {
      // a connection without a message handler, on the server's one loop
      inbox.complete(
          Tether.client(TestTypes.TYPES)
              .runtime(serverRuntime)
              .config(CONFIG)
              .connect(server.address()));
      client.send(new Msg("go", 0));

      assertThat(refused.get(10, TimeUnit.SECONDS))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("waiting for a message on an event loop would block it");
      assertThat(client.request(new Msg("still served", 1)).get(10, TimeUnit.SECONDS))
          .isEqualTo(new Msg("still served", 1));
      inbox.join().close();
    }
  }

  @Test
  void aHandlerThatAlwaysRunsOnTheLoopIsToldAtOnceThatItMayNotWaitForAConnect() throws Exception {
    // the new connection would be served by the one loop the handler holds: connect() waited out
    // the connect and handshake timeouts, the loop stopped meanwhile
    List<Throwable> refusals = new ArrayList<>();
    CountDownLatch tried = new CountDownLatch(1);
    try (Server<Object, Object> peer =
            server()
                .config(CONFIG.toBuilder().nodeId(2).build())
                .onMessage((c, m) -> {})
                .bind(new InetSocketAddress("127.0.0.1", 0));
        PeerPool<Object, Object> pool =
            Tether.client(TestTypes.TYPES)
                .runtime(serverRuntime)
                .config(CONFIG)
                .peerPool(new PeerAddresses().put(2, peer.address()));
        Server<Object, Object> server =
            server()
                .config(ON_LOOP)
                .onMessage(
                    (c, m) -> {
                      for (Runnable waits :
                          List.<Runnable>of(
                              () ->
                                  Tether.client(TestTypes.TYPES)
                                      .runtime(serverRuntime)
                                      .config(CONFIG)
                                      .connect(peer.address()),
                              () -> pool.send(2, new Msg("first use", 1)))) {
                        try {
                          waits.run();
                        } catch (Throwable t) {
                          refusals.add(t);
                        }
                      }
                      tried.countDown();
                    })
                .onRequest(
                    (c, m) -> {
                      pool.send(2, (Msg) m); // connected by now: nothing to wait for
                      return m;
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client = connect(server)) {
      client.send(new Msg("go", 0));

      assertThat(tried.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(refusals)
          .hasSize(2)
          .allSatisfy(t -> assertThat(t).isInstanceOf(IllegalStateException.class));
      assertThat(refusals.get(0))
          .hasMessageStartingWith("connecting to " + peer.address() + " on an event loop");
      assertThat(refusals.get(1))
          .hasMessageStartingWith("connecting to node 2 on an event loop")
          .hasMessageContaining("connectAsync");
      pool.connection(2); // from a thread that may wait
      assertThat(client.request(new Msg("relay", 3)).get(10, TimeUnit.SECONDS))
          .isEqualTo(new Msg("relay", 3));
    }
  }
}
