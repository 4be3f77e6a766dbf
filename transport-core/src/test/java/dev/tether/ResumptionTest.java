package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Connections that survive the network (PROTOCOL.md §13): through a proxy that resets them every
 * few tens of milliseconds, every message and request in both directions reaches the other side's
 * handler exactly once, in order; a server that restarts ends the session as lost, with a count; a
 * refusal that cannot heal stops the retries.
 *
 * <p>{@code -Dtether.chaos=full} streams a million messages each way instead of the CI size.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class ResumptionTest {
  private static final boolean FULL = "full".equals(System.getProperty("tether.chaos"));
  private static final int MESSAGES = FULL ? 1_000_000 : 30_000;
  private static final int REQUESTS = FULL ? 50_000 : 2_000;

  /** Quick to retry, slow to give up; for the tests of reconnecting clients in this package. */
  static final ReconnectPolicy FAST =
      ReconnectPolicy.builder()
          .backoff(Duration.ofMillis(5), Duration.ofMillis(100))
          .giveUpAfter(Duration.ofSeconds(60))
          .build();

  private final Resources resources = new Resources();

  @AfterEach
  void closeResources() {
    resources.close();
  }

  private <T extends AutoCloseable> T track(T resource) {
    return resources.track(resource);
  }

  @Test
  void streamsAndRequestsThroughResetsArriveExactlyOnceInOrderBothWays() throws Exception {
    InOrder serverGot = new InOrder();
    InOrder clientGot = new InOrder();
    AtomicInteger resumed = new AtomicInteger();
    AtomicReference<Thread> serverStream = new AtomicReference<>();
    Server<Object, Object> server =
        track(
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .onConnection(
                    c -> {
                      Thread t =
                          new Thread(
                              () -> {
                                for (int i = 0; i < MESSAGES; i++) {
                                  c.send(new Msg("s", i)); // the session outlives each socket
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
                .codecs("test")
                .reconnect(FAST)
                .onReconnect(
                    new ReconnectListener<>() {
                      @Override
                      public void onResumed(Connection<Object, Object> c, int attempts) {
                        resumed.incrementAndGet();
                      }
                    })
                .onMessage((c, m) -> clientGot.accept(((Msg) m).seq()))
                .connect(proxy.address()));

    Thread chaos = resetter(proxy, 20, 60);
    List<CompletableFuture<Object>> answers = new ArrayList<>();
    for (int i = 0; i < MESSAGES; i++) {
      client.send(new Msg("c", i));
      if (i % (MESSAGES / REQUESTS) == 0 && answers.size() < REQUESTS) {
        answers.add(client.request(new Msg("q", answers.size()), Duration.ofSeconds(120)));
      }
    }
    for (int i = 0; i < answers.size(); i++) {
      assertThat(answers.get(i).get(120, TimeUnit.SECONDS)).isEqualTo(new Msg("re:q", i));
    }
    await()
        .atMost(Duration.ofSeconds(240))
        .until(() -> serverGot.count() >= MESSAGES && clientGot.count() >= MESSAGES);
    chaos.interrupt();
    chaos.join(10_000);

    assertThat(serverGot.problem()).isNull();
    assertThat(clientGot.problem()).isNull();
    assertThat(serverGot.count()).isEqualTo(MESSAGES);
    assertThat(clientGot.count()).isEqualTo(MESSAGES);
    assertThat(resumed.get()).as("sessions resumed through the resets").isPositive();
    System.out.printf(
        "chaos: %d messages each way and %d requests through %d resets, %d resumes, 0 lost,"
            + " 0 duplicated%n",
        MESSAGES, answers.size(), proxy.accepted() - 1, resumed.get());
    assertThat(server.connections()).as("one session throughout").hasSize(1);
    serverStream.get().join(10_000);
  }

  /** A server that checks the order of the messages it receives and echoes requests. */
  private Server<Object, Object> inOrderServer(InOrder got) {
    return track(
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onMessage((c, m) -> got.accept(((Msg) m).seq()))
            .onRequest((c, m) -> m)
            .bind(new InetSocketAddress("127.0.0.1", 0)));
  }

  /** A listener that counts the session's disconnections. */
  private static ReconnectListener<Object, Object> counting(AtomicInteger disconnects) {
    return new ReconnectListener<>() {
      @Override
      public void onDisconnected(Connection<Object, Object> c, ConnectionClosedException cause) {
        disconnects.incrementAndGet();
      }
    };
  }

  /** Resets every proxied connection every {@code minMillis}..{@code maxMillis}, until stopped. */
  static Thread resetter(FaultProxy proxy, int minMillis, int maxMillis) {
    Thread t =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                long wait = ThreadLocalRandom.current().nextInt(minMillis, maxMillis + 1);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(wait)); // chaos pacing
                try {
                  proxy.resetAll();
                } catch (Exception e) {
                  return;
                }
              }
            },
            "chaos");
    t.setDaemon(true);
    t.start();
    return t;
  }

  @Test
  void sendsWhileDisconnectedQueueAndArriveOnceTheSessionResumes() throws Exception {
    InOrder serverGot = new InOrder();
    Server<Object, Object> server = inOrderServer(serverGot);
    FaultProxy proxy = track(new FaultProxy(server.address()));
    AtomicInteger disconnects = new AtomicInteger();
    AtomicInteger resumes = new AtomicInteger();
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .codecs("test")
                .reconnect(
                    ReconnectPolicy.builder()
                        .backoff(Duration.ofMillis(500), Duration.ofMillis(500))
                        .jitter(0)
                        .build())
                .onReconnect(
                    new ReconnectListener<>() {
                      @Override
                      public void onDisconnected(
                          Connection<Object, Object> c, ConnectionClosedException cause) {
                        disconnects.incrementAndGet();
                      }

                      @Override
                      public void onResumed(Connection<Object, Object> c, int attempts) {
                        resumes.incrementAndGet();
                      }
                    })
                .connect(proxy.address()));
    for (int i = 0; i < 100; i++) {
      client.send(new Msg("before", i));
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> serverGot.count() == 100);

    proxy.resetAll();
    await().atMost(Duration.ofSeconds(20)).until(() -> disconnects.get() == 1);
    assertThat(client.isOpen()).as("the session is open while it has no socket").isTrue();
    for (int i = 100; i < 200; i++) {
      assertThat(client.trySend(new Msg("meanwhile", i))).isEqualTo(SendResult.ACCEPTED);
    }

    await().atMost(Duration.ofSeconds(20)).until(() -> serverGot.count() == 200);
    assertThat(serverGot.problem()).isNull();
    assertThat(resumes.get()).isEqualTo(1);
  }

  @Test
  void aCloseBetweenSocketsWaitsForTheSessionToComeBackAndLosesNothing() throws Exception {
    InOrder serverGot = new InOrder();
    Server<Object, Object> server = inOrderServer(serverGot);
    FaultProxy proxy = track(new FaultProxy(server.address()));
    AtomicInteger disconnects = new AtomicInteger();
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .codecs("test")
                // a long backoff: the close must not wait for it
                .reconnect(
                    ReconnectPolicy.builder()
                        .backoff(Duration.ofMinutes(1), Duration.ofMinutes(1))
                        .build())
                .onReconnect(counting(disconnects))
                .connect(proxy.address()));
    client.send(new Msg("before", 0));
    await().atMost(Duration.ofSeconds(20)).until(() -> serverGot.count() == 1);
    proxy.resetAll();
    await().atMost(Duration.ofSeconds(20)).until(() -> disconnects.get() == 1);

    for (int i = 1; i <= 100; i++) {
      client.send(new Msg("meanwhile", i));
    }
    CompletableFuture<Object> answer = client.request(new Msg("asked meanwhile", 7));
    client.close(); // throws if the close was not graceful

    await().atMost(Duration.ofSeconds(20)).until(() -> serverGot.count() == 101);
    assertThat(answer.get(10, TimeUnit.SECONDS)).isEqualTo(new Msg("asked meanwhile", 7));
    assertThat(serverGot.problem()).isNull();
    ConnectionClosedException cause =
        client.onClose().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(cause.isGraceful()).as(cause.reason()).isTrue();
  }

  @Test
  void aCloseBetweenSocketsThatCannotReachTheServerSaysWhatWasLost() throws Exception {
    Connection<Object, Object> client = clientOfAServerGoneForGood(Duration.ofMillis(500));
    for (int i = 0; i < 10; i++) {
      client.send(new Msg("never delivered", i));
    }

    assertThatThrownBy(client::close)
        .isInstanceOf(ConnectionClosedException.class)
        .hasMessageContaining("did not come back within the drain deadline of 500 ms")
        .hasMessageContaining("10 accepted messages were never written");
  }

  /**
   * With nothing queued, unacknowledged or awaiting an answer, a close between sockets has nothing
   * to wait for: it ends at once instead of waiting the drain deadline for a server that may never
   * come back, and then failing.
   */
  @Test
  void aCloseBetweenSocketsWithNothingToDeliverEndsAtOnce() throws Exception {
    Connection<Object, Object> client = clientOfAServerGoneForGood(Duration.ofSeconds(30));

    long start = System.nanoTime();
    client.close(); // does not throw: nothing was lost
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    ConnectionClosedException cause =
        client.onClose().toCompletableFuture().get(1, TimeUnit.SECONDS);
    assertThat(cause.isGraceful()).as(cause.reason()).isTrue();
    assertThat(cause.reason())
        .contains("closed while the session had no socket, with nothing queued");
  }

  /** A reconnecting client whose server has gone for good, after it noticed. */
  private Connection<Object, Object> clientOfAServerGoneForGood(Duration drainTimeout)
      throws Exception {
    TetherRuntime serverRuntime = track(TetherRuntime.builder().eventLoops(1).build());
    Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .runtime(serverRuntime)
            .codecs("test")
            .bind(new InetSocketAddress("127.0.0.1", 0));
    AtomicInteger disconnects = new AtomicInteger();
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .config(TetherConfig.builder().codecs("test").drainTimeout(drainTimeout).build())
                .reconnect(FAST)
                .onReconnect(counting(disconnects))
                .connect(server.address()));
    serverRuntime.close(); // the server is gone for good
    await().atMost(Duration.ofSeconds(20)).until(() -> disconnects.get() == 1);
    return client;
  }

  @Test
  void aServerRestartEndsInSessionLostWithTheCountOfMessagesThatMayNotHaveArrived()
      throws Exception {
    AtomicLong firstServerGot = new AtomicLong();
    TetherRuntime firstRuntime = track(TetherRuntime.builder().eventLoops(1).build());
    Server<Object, Object> first =
        Tether.server(TestTypes.TYPES)
            .runtime(firstRuntime)
            .codecs("test")
            .onMessage((c, m) -> firstServerGot.incrementAndGet())
            .onRequestAsync((c, m) -> new CompletableFuture<>()) // it dies before answering
            .bind(new InetSocketAddress("127.0.0.1", 0));
    InetSocketAddress address = (InetSocketAddress) first.address();
    AtomicLong reportedLost = new AtomicLong(-1);
    AtomicReference<ConnectionClosedException> lostCause = new AtomicReference<>();
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .codecs("test")
                .reconnect(FAST)
                .onReconnect(
                    new ReconnectListener<>() {
                      @Override
                      public void onSessionLost(
                          Connection<Object, Object> c,
                          long messagesMaybeLost,
                          ConnectionClosedException cause) {
                        lostCause.set(cause);
                        reportedLost.set(messagesMaybeLost);
                      }
                    })
                .connect(address));
    CompletableFuture<Object> unanswered = client.request(new Msg("never answered", 0));
    int sent = 0;
    for (; sent < 5000; sent++) {
      client.send(new Msg("m", sent));
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> firstServerGot.get() >= 1000);

    firstRuntime.close(); // the server dies: its sockets close without GOAWAY, its sessions go
    long arrived = firstServerGot.get();
    AtomicLong secondServerGot = new AtomicLong();
    Server<Object, Object> second =
        track(
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .onMessage((c, m) -> secondServerGot.incrementAndGet())
                .bind(address));

    await().atMost(Duration.ofSeconds(30)).until(() -> reportedLost.get() >= 0);
    // every message that did not arrive is counted, never fewer; the ones the dead server had
    // received but not yet acknowledged are counted too: the client cannot know they arrived
    assertThat(reportedLost.get()).isBetween(sent - arrived, sent + 1L);
    assertThat(lostCause.get().reason())
        .contains("lost")
        .contains(reportedLost.get() + " accepted messages");
    assertThatThrownBy(() -> unanswered.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(ConnectionClosedException.class)
        .hasMessageContaining("lost");

    client.send(new Msg("new session", 1));
    await().atMost(Duration.ofSeconds(20)).until(() -> secondServerGot.get() == 1);
    assertThat(second.connections()).hasSize(1);
  }

  @Test
  void aRefusalThatCannotHealStopsReconnecting() throws Exception {
    TetherRuntime firstRuntime = track(TetherRuntime.builder().eventLoops(1).build());
    Server<Object, Object> first =
        Tether.server(TestTypes.TYPES)
            .runtime(firstRuntime)
            .codecs("test")
            .bind(new InetSocketAddress("127.0.0.1", 0));
    InetSocketAddress address = (InetSocketAddress) first.address();
    AtomicReference<TetherException> gaveUp = new AtomicReference<>();
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .codecs("test")
                .reconnect(FAST)
                .onReconnect(
                    new ReconnectListener<>() {
                      @Override
                      public void onGaveUp(Connection<Object, Object> c, TetherException cause) {
                        gaveUp.set(cause);
                      }
                    })
                .connect(address));

    firstRuntime.close();
    MessageTypes otherSchema =
        MessageTypes.builder("tether-test").register(1, "test.Other", Msg.class).build();
    track(Tether.server(otherSchema).codecs("test").bind(address));

    await().atMost(Duration.ofSeconds(30)).until(() -> gaveUp.get() != null);
    assertThat(gaveUp.get().getMessage()).contains("app protocol mismatch");
    ConnectionClosedException cause =
        client.onClose().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(cause.reason()).contains("app protocol mismatch");
    assertThat(client.isOpen()).isFalse();
  }

  @Test
  void giveUpAfterEndsReconnectingOnTimeEvenDuringAnAttemptThatNeverHearsBack() throws Exception {
    Server<Object, Object> server =
        track(
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    FaultProxy proxy = track(new FaultProxy(server.address()));
    CompletableFuture<TetherException> gaveUp = new CompletableFuture<>();
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .config(
                    TetherConfig.builder()
                        .codecs("test")
                        .handshakeTimeout(Duration.ofSeconds(20))
                        .build())
                .reconnect(
                    ReconnectPolicy.builder()
                        .backoff(Duration.ofMillis(5), Duration.ofMillis(50))
                        .giveUpAfter(Duration.ofSeconds(1))
                        .build())
                .onReconnect(
                    new ReconnectListener<>() {
                      @Override
                      public void onGaveUp(Connection<Object, Object> c, TetherException cause) {
                        gaveUp.complete(cause);
                      }
                    })
                .connect(proxy.address()));
    proxy.mode(FaultProxy.Mode.BLACK_HOLE); // the next socket connects, its HELLO never arrives

    long start = System.nanoTime();
    proxy.resetAll();

    TetherException cause = gaveUp.get(30, TimeUnit.SECONDS);
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .as("giving up after a giveUpAfter of 1 s; the attempt's handshake timeout is 20 s")
        .isLessThan(Duration.ofSeconds(4));
    assertThat(cause.getMessage()).contains("gave up reconnecting").contains("giveUpAfter");
    assertThat(client.onClose().toCompletableFuture().get(5, TimeUnit.SECONDS).reason())
        .contains("gave up reconnecting");
  }
}
