package dev.tether;

import static dev.tether.testing.TestTypes.QUIET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Blob;
import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Default handlers run on their event loop until one blocks; then the loop goes on on a fresh
 * thread while the old one finishes the handler. Here handlers on both sides block now and then
 * (sleep, which the watch sees waiting) while several connections stream, so loops are handed off
 * again and again in the middle of reads whose messages their dispatcher has already taken: every
 * message must still arrive exactly once and in order on its connection, on both sides.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HandOffUnderLoadTest {
  private static final int CLIENTS = 4;
  private static final int MESSAGES = 20_000;
  private static final int BATCH = 200;

  /** Every this many messages a server handler blocks; every tenth of those echoes one back. */
  private static final int BLOCK_EVERY = 1_999;

  /** Order per connection: the next sequence number due, and the first violation seen. */
  private static final class Order {
    private final AtomicLong next = new AtomicLong();
    private final ConcurrentLinkedQueue<String> violations;

    Order(ConcurrentLinkedQueue<String> violations) {
      this.violations = violations;
    }

    void check(String side, Msg message) {
      long due = next.getAndIncrement();
      if (message.seq() != due) {
        violations.add(side + " got " + message + " where " + due + " was due");
      }
    }
  }

  @Test
  void everyMessageArrivesOnceAndInOrderWhileHandlersBlockAndLoopsAreHandedOff() throws Exception {
    ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    Map<Connection<Object, Object>, Order> atServer = new ConcurrentHashMap<>();
    AtomicLong serverReceived = new AtomicLong();
    Set<Thread> serverThreads = ConcurrentHashMap.newKeySet();
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .config(QUIET)
            .onMessage(
                (c, m) -> {
                  Msg message = (Msg) m;
                  atServer.computeIfAbsent(c, k -> new Order(violations)).check("server", message);
                  if (message.seq() % BLOCK_EVERY == BLOCK_EVERY - 1) {
                    Thread.sleep(10); // blocks: the watch hands this loop to a fresh thread
                    c.send(new Msg("echo", message.seq() / BLOCK_EVERY));
                  }
                  serverThreads.add(Thread.currentThread());
                  serverReceived.incrementAndGet();
                })
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      List<Connection<Object, Object>> clients = new ArrayList<>();
      List<Order> echoes = new ArrayList<>();
      List<Thread> senders = new ArrayList<>();
      try {
        for (int i = 0; i < CLIENTS; i++) {
          Order echoOrder = new Order(violations);
          echoes.add(echoOrder);
          Connection<Object, Object> client =
              Tether.client(TestTypes.TYPES)
                  .config(QUIET)
                  .onMessage(
                      (c, m) -> {
                        Msg echo = (Msg) m;
                        echoOrder.check("client", echo);
                        if (echo.seq() % 3 == 0) {
                          Thread.sleep(5); // the client's loop is handed off too
                        }
                      })
                  .connect(server.address());
          clients.add(client);
          senders.add(new Thread(() -> stream(client, MESSAGES), "sender-" + i));
        }
        senders.forEach(Thread::start);
        for (Thread sender : senders) {
          sender.join(TimeUnit.SECONDS.toMillis(90));
        }
        long echoesEach = MESSAGES / BLOCK_EVERY;
        await()
            .alias("every message at the server, every echo at its client")
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    !violations.isEmpty()
                        || serverReceived.get() == (long) CLIENTS * MESSAGES
                            && echoes.stream().allMatch(o -> o.next.get() == echoesEach));
        assertThat(violations).isEmpty();
        assertThat(atServer).hasSize(CLIENTS);
        assertThat(serverThreads)
            .as("a loop handed off goes on on a fresh thread; the old one, renamed, finishes")
            .anyMatch(t -> t.getName().endsWith("-handler"));
        assertThat(atServer.values()).allSatisfy(o -> assertThat(o.next.get()).isEqualTo(MESSAGES));
      } finally {
        clients.forEach(Connection::close);
      }
    }
  }

  /**
   * A handler on the loop stops delivering while its connection's outbound queue is over its bound,
   * in the middle of a batch, and the loop goes on reading: what it reads then must queue behind
   * the rest of that batch, not take its place. The server answers every message with a reply of 2
   * KiB to a client whose handler is slow at first, so the server's queue fills again and again.
   */
  @Test
  void messagesReadWhileTheDispatcherWaitsForRoomQueueBehindTheBatchItStopped() throws Exception {
    int count = 5_000;
    ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    Order atServer = new Order(violations);
    Order atClient = new Order(violations);
    TetherConfig config =
        QUIET.toBuilder().maxQueuedOutboundBytes(32 * 1024).maxQueuedInboundMessages(64).build();
    byte[] reply = new byte[2048];
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(config)
                .onMessage(
                    (c, m) -> {
                      Msg message = (Msg) m;
                      atServer.check("server", message);
                      c.send(new Blob(message.seq(), reply));
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES)
                .config(config)
                .onMessage(
                    (c, m) -> {
                      Blob blob = (Blob) m;
                      atClient.check("client", new Msg("reply", blob.seq()));
                      if (blob.seq() < 500 && blob.seq() % 50 == 0) {
                        Thread.sleep(2); // slow at first: the server's replies back up
                      }
                    })
                .connect(server.address())) {
      Thread sender = new Thread(() -> stream(client, count), "sender");
      sender.start();
      sender.join(TimeUnit.SECONDS.toMillis(90));
      await()
          .alias("every message at the server, every reply at the client")
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  !violations.isEmpty()
                      || atServer.next.get() == count && atClient.next.get() == count);
      assertThat(violations).isEmpty();
    }
  }

  /** Sends messages 0 to {@code count - 1} in batches of {@link #BATCH}. */
  private static void stream(Connection<Object, Object> client, int count) {
    List<Object> batch = new ArrayList<>(BATCH);
    for (int seq = 0; seq < count; seq++) {
      batch.add(new Msg("m", seq));
      if (batch.size() == BATCH) {
        client.sendAll(batch);
        batch.clear();
      }
    }
    client.sendAll(batch);
  }
}
