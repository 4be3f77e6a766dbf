package dev.tether.internal.engine;

import static dev.tether.testing.TestTypes.QUIET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.Connection;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.TetherRuntime;
import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A batch of messages that one read brings is answered in slices while its connection is the only
 * one its loop serves: the replies to the first messages are written while the handlers of the
 * later ones still run, so the peer can work on them meanwhile. On a loop that serves several, the
 * replies go out together at the turn's end, as before.
 *
 * <p>Each case hands the server's loop a 64-message batch in one turn, as a read does (or by a
 * read), with handlers that compute for 20 µs a message (well past the dispatcher's slice of a few
 * microseconds, however slow the machine), and looks at what the socket had been given when the
 * batch's middle and last messages were handled: sliced, the first replies are out before the
 * second half is handled. Each case runs with the default handlers (run by the loop at its turn's
 * end) and with handlers always on the loop (run as their connection is read).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReplySlicesTest {
  private static final int BATCH = 64;
  private static final long WORK_NANOS = TimeUnit.MICROSECONDS.toNanos(20);

  /** Where the server's handlers run. */
  enum Placement {
    DEFAULT(QUIET),
    ON_EVENT_LOOP(QUIET.toBuilder().handlersOnEventLoop().build());

    final TetherConfig config;

    Placement(TetherConfig config) {
      this.config = config;
    }
  }

  /** How the lone connection's batch reaches the loop. */
  enum Arrival {
    /** Offered to its mailbox by a loop task, in one turn, as a read offers it. */
    OFFERED,
    /**
     * Read from the socket in one go: its handlers then run from the loop's reading (during its
     * look at the selector, for handlers on the loop), where a dispatcher that went on in the
     * loop's tasks would run the next slice before the first one's write.
     */
    READ
  }

  static Stream<Arguments> loneConnectionCases() {
    return Stream.of(Placement.values())
        .flatMap(p -> Stream.of(Arrival.values()).map(a -> Arguments.of(p, a)));
  }

  @ParameterizedTest
  @MethodSource("loneConnectionCases")
  void aLoneConnectionsBatchIsAnsweredWhileItIsStillBeingHandled(
      Placement placement, Arrival arrival) throws Exception {
    Batches batches = new Batches(1, placement);
    // a runtime of its own, so that the client's connection is not on the server's loop
    try (TetherRuntime serverRuntime = TetherRuntime.builder().eventLoops(1).build();
        Server<Object, Object> server = batches.server(serverRuntime);
        Connection<Object, Object> client = batches.client(server)) {
      RealConnection<?, ?> serverSide = batches.serverSides(server, 1).get(0);
      if (arrival == Arrival.OFFERED) {
        serverSide.loop.execute(() -> batches.offerBatch(serverSide, 0));
      } else {
        batches.sendWhileUnread(client, serverSide, 0);
      }

      batches.awaitReplies(0);
      assertThat(batches.writtenBeforeHalf(0))
          .as("reply bytes the socket took before the batch's second half was handled")
          .isPositive();
    }
  }

  @ParameterizedTest
  @EnumSource(Placement.class)
  void aConnectionWhoseLoopServesAnotherIsAnsweredAtTheTurnsEnd(Placement placement)
      throws Exception {
    Batches batches = new Batches(1, placement);
    try (TetherRuntime oneLoop = TetherRuntime.builder().eventLoops(1).build(); // both on it
        Server<Object, Object> server = batches.server(oneLoop);
        Connection<Object, Object> busy = batches.client(server);
        Connection<Object, Object> idle =
            Tether.client(TestTypes.TYPES).config(QUIET).connect(server.address())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == 2);
      RealConnection<?, ?> serverSide =
          server.connections().stream()
              .map(c -> (RealConnection<?, ?>) c)
              .filter(c -> c.remoteAddress.equals(busy.localAddress()))
              .findFirst()
              .orElseThrow();
      batches.serverSides(List.of(serverSide));
      serverSide.loop.execute(() -> batches.offerBatch(serverSide, 0));

      batches.awaitReplies(0);
      assertThat(batches.writtenBeforeLast(0))
          .as("reply bytes written before the turn's end, with another connection on the loop")
          .isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(Placement.class)
  void connectionsWithBatchesInOneTurnAreAnsweredAtItsEnd(Placement placement) throws Exception {
    Batches batches = new Batches(2, placement);
    try (TetherRuntime oneLoop = TetherRuntime.builder().eventLoops(1).build(); // both on it
        Server<Object, Object> server = batches.server(oneLoop);
        Connection<Object, Object> first = batches.client(server);
        Connection<Object, Object> second = batches.client(server)) {
      List<RealConnection<?, ?>> serverSides = batches.serverSides(server, 2);
      serverSides
          .get(0)
          .loop
          .execute(
              () -> {
                batches.offerBatch(serverSides.get(0), 0);
                batches.offerBatch(serverSides.get(1), 1);
              });

      batches.awaitReplies(0);
      batches.awaitReplies(1);
      for (int i = 0; i < 2; i++) {
        assertThat(batches.writtenBeforeLast(i))
            .as("reply bytes of connection %d written before the turn's end", i)
            .isZero();
      }
    }
  }

  /** Server-side batches, and what each connection's socket had taken along the way. */
  private static final class Batches {
    private final AtomicLong[] sentAtStart;
    private final AtomicLong[] sentAtHalf;
    private final AtomicLong[] sentAtLast;
    private final List<RealConnection<?, ?>> batchOwners = new CopyOnWriteArrayList<>();
    private final List<List<Long>> received = new ArrayList<>();
    private final List<CountDownLatch> done = new ArrayList<>();
    private final TetherConfig serverConfig;

    Batches(int connections, Placement placement) {
      serverConfig = placement.config;
      sentAtStart = new AtomicLong[connections];
      sentAtHalf = new AtomicLong[connections];
      sentAtLast = new AtomicLong[connections];
      for (int i = 0; i < connections; i++) {
        sentAtStart[i] = new AtomicLong(-1);
        sentAtHalf[i] = new AtomicLong(-1);
        sentAtLast[i] = new AtomicLong(-1);
      }
    }

    Server<Object, Object> server(TetherRuntime runtime) throws Exception {
      return Tether.server(TestTypes.TYPES)
          .config(serverConfig)
          .runtime(runtime)
          .onMessage(
              (c, m) -> {
                long seq = ((Msg) m).seq();
                work(WORK_NANOS);
                if (seq == BATCH / 2 - 1 || seq == BATCH - 1) {
                  RealConnection<?, ?> self = (RealConnection<?, ?>) c;
                  AtomicLong[] at = seq == BATCH - 1 ? sentAtLast : sentAtHalf;
                  at[batchOwners.indexOf(self)].set(self.io().bytesSent.sum());
                }
                c.send(new Msg("reply", seq));
              })
          .bind(new InetSocketAddress("127.0.0.1", 0));
    }

    Connection<Object, Object> client(Server<Object, Object> server) throws Exception {
      List<Long> replies = new CopyOnWriteArrayList<>();
      CountDownLatch all = new CountDownLatch(BATCH);
      received.add(replies);
      done.add(all);
      return Tether.client(TestTypes.TYPES)
          .config(QUIET)
          .onMessage(
              (c, m) -> {
                replies.add(((Msg) m).seq());
                all.countDown();
              })
          .connect(server.address());
    }

    /** The server's connections, once there are {@code count}, to offer batches to. */
    List<RealConnection<?, ?>> serverSides(Server<Object, Object> server, int count) {
      await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == count);
      List<RealConnection<?, ?>> sides = new ArrayList<>();
      for (Connection<?, ?> c : server.connections()) {
        sides.add((RealConnection<?, ?>) c);
      }
      return serverSides(sides);
    }

    /** Takes {@code sides} to offer batches to, in this order, once they are idle. */
    List<RealConnection<?, ?>> serverSides(List<RealConnection<?, ?>> sides) {
      for (RealConnection<?, ?> side : sides) {
        await().atMost(Duration.ofSeconds(10)).until(side.mailbox::isIdle);
      }
      batchOwners.addAll(sides);
      return sides;
    }

    /** As a read does: a batch for the loop's own dispatcher, at this turn's end. Loop thread. */
    void offerBatch(RealConnection<?, ?> serverSide, int index) {
      sentAtStart[index].set(serverSide.io().bytesSent.sum());
      for (int seq = 0; seq < BATCH; seq++) {
        serverSide.mailbox.offerMessage(new Msg("request", seq), 32);
      }
      serverSide.mailbox.dispatchOffered();
    }

    /**
     * As a peer does: the batch sent while the server does not read, then read in one go (all of it
     * waits in the socket), so that its handlers run from the loop's reading of the socket: during
     * its look at the selector (handlers on the loop) or at the turn's end (by default).
     */
    void sendWhileUnread(
        Connection<Object, Object> client, RealConnection<?, ?> serverSide, int index)
        throws Exception {
      CompletableFuture<Void> paused = new CompletableFuture<>();
      serverSide.loop.execute(
          () -> {
            serverSide.io().pauseForOutbound();
            paused.complete(null);
          });
      paused.get(10, TimeUnit.SECONDS);
      for (int seq = 0; seq < BATCH; seq++) {
        client.send(new Msg("request", seq));
      }
      RealConnection<?, ?> clientSide = (RealConnection<?, ?>) client;
      await().atMost(Duration.ofSeconds(10)).until(() -> clientSide.outbound.unwritten() == 0);
      serverSide.loop.execute(
          () -> {
            sentAtStart[index].set(serverSide.io().bytesSent.sum());
            serverSide.resumeReading();
          });
    }

    /** Waits for the replies of the {@code clientIndex}th client made, and checks their order. */
    void awaitReplies(int clientIndex) throws Exception {
      assertThat(done.get(clientIndex).await(20, TimeUnit.SECONDS)).isTrue();
      List<Long> expected = new ArrayList<>();
      for (long seq = 0; seq < BATCH; seq++) {
        expected.add(seq);
      }
      assertThat(received.get(clientIndex)).containsExactlyElementsOf(expected);
    }

    /** Reply bytes the socket took before the handler of the batch's middle message ran. */
    long writtenBeforeHalf(int index) {
      assertThat(sentAtHalf[index].get()).isNotNegative();
      return sentAtHalf[index].get() - sentAtStart[index].get();
    }

    /** Reply bytes the socket took before the handler of the batch's last message ran. */
    long writtenBeforeLast(int index) {
      assertThat(sentAtLast[index].get()).isNotNegative();
      return sentAtLast[index].get() - sentAtStart[index].get();
    }
  }

  /** Computes, without waiting, for about {@code nanos}: a handler with work to do. */
  private static void work(long nanos) {
    long end = System.nanoTime() + nanos;
    while (System.nanoTime() - end < 0) {
      Thread.onSpinWait();
    }
  }
}
