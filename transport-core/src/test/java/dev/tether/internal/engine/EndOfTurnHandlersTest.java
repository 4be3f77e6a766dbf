package dev.tether.internal.engine;

import static dev.tether.testing.TestTypes.QUIET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.Connection;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Handlers that the loop is to run itself are run promptly whenever they were queued: also when
 * something at the very end of a turn queued them (a flush that made room in the outbound queue
 * starts the dispatcher it had stopped), after that turn's handlers had run. The loop must not go
 * to sleep on them: on a quiet connection, with no heartbeat, nothing else would wake it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EndOfTurnHandlersTest {
  @Test
  void aDispatcherScheduledAtTheEndOfATurnRunsWithoutWaitingForTheNextWakeUp() throws Exception {
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(QUIET)
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).config(QUIET).connect(server.address())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == 1);
      RealConnection<?, ?> serverSide =
          (RealConnection<?, ?>) server.connections().iterator().next();
      await().atMost(Duration.ofSeconds(10)).until(serverSide.mailbox::isIdle);

      for (int round = 0; round < 20; round++) {
        CountDownLatch queued = new CountDownLatch(1);
        serverSide.loop.execute(
            () ->
                serverSide.loop.atEndOfTurn(
                    () -> {
                      // an item whose handler the loop is to run: a session event, which a server
                      // without a reconnect listener delivers to nobody
                      serverSide.mailbox.offerEvent(SessionEvent.resumed(1));
                      queued.countDown();
                    }));
        assertThat(queued.await(10, TimeUnit.SECONDS)).isTrue();
        await()
            .alias("round " + round + ": the dispatcher queued at the end of a turn has run")
            .atMost(Duration.ofSeconds(5))
            .until(serverSide.mailbox::isIdle);
      }
    }
  }

  /**
   * A handler the loop runs is not the loop's owner while it runs, so the flush its send asks for
   * is a task: it must run in the same turn, with the turn's writes, not after the next turn's look
   * at the selector (a system call per batch of replies, measured at a few percent of pipelined
   * echo). Two messages arrive in one turn, so the reply to the first is queued, not written
   * straight from the handler: more is to be delivered.
   */
  @Test
  void repliesOfAHandlerTheLoopRunsAreWrittenInTheSameTurn() throws Exception {
    AtomicLong unwrittenAtEndOfTurn = new AtomicLong(-1);
    CountDownLatch replies = new CountDownLatch(2);
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(QUIET)
                .onMessage((c, m) -> c.send(new Msg("reply", ((Msg) m).seq())))
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES)
                .config(QUIET)
                .onMessage((c, m) -> replies.countDown())
                .connect(server.address())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == 1);
      RealConnection<?, ?> serverSide =
          (RealConnection<?, ?>) server.connections().iterator().next();
      await().atMost(Duration.ofSeconds(10)).until(serverSide.mailbox::isIdle);

      serverSide.loop.execute(
          () -> {
            // as a read does: messages for the loop's own dispatcher, at this turn's end
            serverSide.mailbox.offerMessage(new Msg("request", 1), 32);
            serverSide.mailbox.offerMessage(new Msg("request", 2), 32);
            serverSide.mailbox.dispatchOffered();
            serverSide.loop.atEndOfTurn(
                () -> unwrittenAtEndOfTurn.set(serverSide.outbound.unwritten()));
          });
      assertThat(replies.await(10, TimeUnit.SECONDS)).isTrue();
      // the replies may reach the client before the server's loop gets to its end-of-turn pass
      await().atMost(Duration.ofSeconds(10)).until(() -> unwrittenAtEndOfTurn.get() >= 0);
      assertThat(unwrittenAtEndOfTurn.get())
          .as("bytes of the handler's replies still unwritten at the end of its turn")
          .isZero();
    }
  }

  @Test
  void messagesStagedForTheLoopsDispatcherArriveInOrderAcrossManyReads() throws Exception {
    int count = 50_000;
    AtomicLong next = new AtomicLong();
    AtomicReference<String> outOfOrder = new AtomicReference<>();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(QUIET)
                .onMessage(
                    (c, m) -> {
                      long expected = next.getAndIncrement();
                      if (((Msg) m).seq() != expected) {
                        outOfOrder.compareAndSet(null, m + " where " + expected + " was due");
                      }
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).config(QUIET).connect(server.address())) {
      for (int i = 0; i < count; i++) {
        client.send(new Msg("m", i));
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> next.get() == count);
      assertThat(outOfOrder.get()).isNull();
    }
  }
}
