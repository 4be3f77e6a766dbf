package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Blob;
import dev.tether.testing.Msg;
import dev.tether.testing.RawPeer;
import dev.tether.testing.TestTypes;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The close of PROTOCOL.md §8: work in flight when either side closes is finished, not failed; and
 * when a close cannot finish in time, the caller is told what was lost.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GracefulCloseTest {
  @Test
  void everyRequestSentBeforeTheClientClosesIsAnswered() throws Exception {
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onRequest(
                (c, m) -> {
                  if (ThreadLocalRandom.current().nextInt(100) == 0) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // a slower one
                  }
                  return m;
                })
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      // the old engine failed 12,545 of these 20,000 futures though the server ran every request
      for (int round = 0; round < 20; round++) {
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).codecs("test").connect(server.address());
        List<CompletableFuture<Object>> answers = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
          answers.add(client.request(new Msg("r" + round, i)));
        }
        client.close();
        for (int i = 0; i < 1000; i++) {
          assertThat(answers.get(i).get(20, TimeUnit.SECONDS))
              .as("round %d request %d", round, i)
              .isEqualTo(new Msg("r" + round, i));
        }
        ConnectionClosedException cause = client.onClose().toCompletableFuture().get();
        assertThat(cause.isGraceful()).as(cause.getMessage()).isTrue();
      }
    }
  }

  @Test
  void serverCloseAnswersTheRequestsItHadReceived() throws Exception {
    Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onRequest(
                (c, m) -> {
                  LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
                  return m;
                })
            .bind(new InetSocketAddress("127.0.0.1", 0));
    Connection<Object, Object> client =
        Tether.client(TestTypes.TYPES).codecs("test").connect(server.address());
    List<CompletableFuture<Object>> answers = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      answers.add(client.request(new Msg("q", i)));
    }
    // wait until the server has them all, then close it while it is still answering
    client.request(new Msg("last", 1000)).get(20, TimeUnit.SECONDS);

    server.close();

    for (int i = 0; i < 1000; i++) {
      assertThat(answers.get(i).get(20, TimeUnit.SECONDS)).isEqualTo(new Msg("q", i));
    }
    ConnectionClosedException cause =
        client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertThat(cause.code()).isEqualTo(GoAwayCode.SHUTTING_DOWN);
    assertThat(cause.isGraceful()).isTrue();
  }

  @Test
  void aPeerThatSendsMessagesThenGoAwayGetsEveryEchoBackBeforeTheServersGoAway() throws Exception {
    int count = 5000;
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .onMessage((c, m) -> c.send(m))
                .bind(new InetSocketAddress("127.0.0.1", 0));
        RawPeer peer = RawPeer.connect(server.address())) {
      peer.handshake(RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test"));
      ByteArrayOutputStream burst = new ByteArrayOutputStream();
      for (int i = 0; i < count; i++) {
        burst.writeBytes(
            RawPeer.frame(
                RawPeer.DATA, RawPeer.concat(RawPeer.varint(1), OutboundBoundTest.msg("e", i))));
      }
      burst.writeBytes(
          RawPeer.frame(RawPeer.GOAWAY, RawPeer.concat(new byte[] {0, 0}, RawPeer.utf8("bye"))));
      peer.write(burst.toByteArray());

      int echoes = 0;
      RawPeer.Frame frame = peer.readFrameAnsweringPings();
      while (frame.type() == RawPeer.DATA) {
        echoes++;
        frame = peer.readFrameAnsweringPings();
      }
      assertThat(echoes).as("echoes before the server's GOAWAY").isEqualTo(count);
      assertThat(frame.type()).isEqualTo(RawPeer.GOAWAY);
      assertThat(RawPeer.GoAway.parse(frame.body()).code()).isZero();
      peer.assertEndOfStream();
    }
  }

  @Test
  void aCloseThatMissesTheDrainDeadlineSaysHowManyMessagesWereNeverWritten() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    TetherConfig config =
        TetherConfig.builder()
            .codecs("test")
            .drainTimeout(Duration.ofMillis(500))
            .maxQueuedInboundMessages(4)
            .build();
    // a runtime of its own: the client's queue must fill to its own bound, and on the shared
    // runtime
    // its small frames past 128 KiB draw on a send memory other tests' connections may hold
    try (TetherRuntime runtime = TetherRuntime.builder().build();
        Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(config)
                .runtime(runtime)
                .onMessage((c, m) -> release.await())
                .bind(new InetSocketAddress("127.0.0.1", 0))) {
      Connection<Object, Object> client =
          Tether.client(TestTypes.TYPES).config(config).runtime(runtime).connect(server.address());
      // full, and the kernel's buffers too: they may take megabytes while the loop writes, and a
      // drain deadline that found the queue written into them would have nothing left unsent
      AtomicInteger accepted = new AtomicInteger();
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                int before = accepted.get();
                while (client.trySend(new Blob(accepted.get(), new byte[1024]))
                    == SendResult.ACCEPTED) {
                  accepted.incrementAndGet();
                }
                return accepted.get() == before;
              });

      // the old engine returned normally here and called it NORMAL "closed by the application"
      assertThatThrownBy(client::close)
          .isInstanceOfSatisfying(
              ConnectionClosedException.class,
              e -> {
                assertThat(e.isGraceful()).isFalse();
                assertThat(e.messagesNotSent()).isPositive();
                assertThat(e.reason())
                    .contains("drain deadline of 500 ms passed")
                    .contains(e.messagesNotSent() + " accepted messages were never written");
              });
      release.countDown();
    }
  }

  @ParameterizedTest(name = "handlers on the pool: {0}")
  @ValueSource(booleans = {false, true})
  void aCloseWhoseOwnHandlerNeverReturnsThrowsSayingWhatWasNotHandled(boolean onPool)
      throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(1);
    TetherConfig.Builder config =
        TetherConfig.builder().codecs("test").drainTimeout(Duration.ofMillis(500));
    if (onPool) {
      config.handlersOnPool();
    }
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onConnection(
                c -> {
                  for (int i = 0; i < 5; i++) {
                    c.send(new Msg("m", i));
                  }
                })
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      Connection<Object, Object> client =
          Tether.client(TestTypes.TYPES)
              .config(config.build())
              .onMessage(
                  (c, m) -> {
                    entered.countDown();
                    release.await(); // stuck in the first of five messages
                  })
              .connect(server.address());
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

      // it returned normally after 1.5 s before, as if the four messages had been handled
      assertThatThrownBy(client::close)
          .isInstanceOfSatisfying(
              ConnectionClosedException.class,
              e -> {
                assertThat(e.isGraceful()).isFalse();
                assertThat(e.reason())
                    .contains("drain deadline of 500 ms")
                    .contains("a handler of this connection has");
              });
      release.countDown();
      assertThat(client.onClose().toCompletableFuture().get(10, TimeUnit.SECONDS).isGraceful())
          .isFalse();
    }
  }

  @Test
  void aClientFollowsAPlannedServerRestartByConnectingAgainFromItsCloseHandler() throws Exception {
    // what README "Surviving the network" says to do: a graceful shutdown ends the connection
    CompletableFuture<Void> restarted = new CompletableFuture<>();
    CompletableFuture<Connection<Object, Object>> again = new CompletableFuture<>();
    BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    Server<Object, Object> first =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onMessage((c, m) -> received.add(m))
            .bind(new InetSocketAddress("127.0.0.1", 0));
    SocketAddress address = first.address();
    Connection<Object, Object> client =
        Tether.client(TestTypes.TYPES)
            .codecs("test")
            .onClose(
                (c, cause) -> {
                  if (cause.code() == GoAwayCode.SHUTTING_DOWN) {
                    restarted.join(); // a handler may wait: the loop goes on without it
                    again.complete(Tether.client(TestTypes.TYPES).codecs("test").connect(address));
                  }
                })
            .connect(address);
    client.send(new Msg("before", 1));
    first.close(); // graceful: the message sent before is handled first

    try (Server<Object, Object> second =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onMessage((c, m) -> received.add(m))
            .bind(address)) {
      restarted.complete(null);
      try (Connection<Object, Object> next = again.get(20, TimeUnit.SECONDS)) {
        next.send(new Msg("after", 2));
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo(new Msg("before", 1));
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo(new Msg("after", 2));
      }
      assertThat(client.onClose().toCompletableFuture().get(10, TimeUnit.SECONDS).code())
          .isEqualTo(GoAwayCode.SHUTTING_DOWN);
    }
  }
}
