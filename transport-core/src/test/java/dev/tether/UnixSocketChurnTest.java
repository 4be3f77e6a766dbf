package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.Resources;
import dev.tether.testing.TestTypes;
import java.io.File;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Churn on a Unix domain socket: a server restarted on the same path again and again, gracefully or
 * not, while resuming clients send and others connect and vanish in the middle of a frame. Nothing
 * is handled twice, nothing is lost unreported, and once everything is closed no descriptor is left
 * open and no socket file is left behind.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UnixSocketChurnTest {
  private final Resources resources = new Resources();

  @TempDir Path dir;

  @AfterEach
  void closeResources() {
    resources.close();
  }

  private static int descriptors() {
    String[] open = new File("/proc/self/fd").list();
    assertThat(open).as("/proc/self/fd").isNotNull();
    return open.length;
  }

  private static TetherConfig.Builder fast() {
    return TetherConfig.builder()
        .codecs("test")
        .heartbeatInterval(Duration.ofMillis(100))
        .idleTimeout(Duration.ofMillis(400))
        .handshakeTimeout(Duration.ofSeconds(1));
  }

  private static final class Seen {
    final Map<Long, Long> last = new ConcurrentHashMap<>();
    final Map<String, Integer> requests = new ConcurrentHashMap<>();
    final StringBuffer problems = new StringBuffer();
    final AtomicLong gaps = new AtomicLong();

    void message(long node, long seq) {
      Long before = last.put(node, seq);
      long previous = before == null ? -1 : before;
      if (seq <= previous) {
        problems.append("node " + node + ": " + seq + " after " + previous + "; ");
      } else {
        gaps.addAndGet(seq - previous - 1);
      }
    }
  }

  private Server<Object, Object> server(UnixDomainSocketAddress at, Seen seen) {
    return Tether.server(TestTypes.TYPES)
        .config(fast().drainTimeout(Duration.ofSeconds(3)).build())
        .onMessage((c, m) -> seen.message(c.peer().nodeId(), ((Msg) m).seq()))
        .onRequest(
            (c, m) -> {
              seen.requests.merge(c.peer().nodeId() + "/" + ((Msg) m).seq(), 1, Integer::sum);
              return m;
            })
        .bind(at);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2})
  void restartsOnTheSamePathLoseOnlyWhatIsReportedAndLeaveNoDescriptorOrFile(long seed)
      throws Exception {
    UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("s.sock"));
    // the runtime's loops and their selectors are made on first use: before the count
    try (Server<Object, Object> warm =
            server(UnixDomainSocketAddress.of(dir.resolve("warm.sock")), new Seen());
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).config(fast().build()).connect(warm.address())) {
      client.request(new Msg("warm", 0)).get(10, TimeUnit.SECONDS);
    }
    int before = descriptors();
    Seen seen = new Seen();
    List<Server<Object, Object>> servers = Collections.synchronizedList(new ArrayList<>());
    servers.add(server(address, seen));
    AtomicLong maybeLost = new AtomicLong();
    AtomicInteger resumed = new AtomicInteger();
    List<Connection<Object, Object>> clients = new ArrayList<>();
    for (long node = 1; node <= 3; node++) {
      clients.add(
          Tether.client(TestTypes.TYPES)
              .config(fast().nodeId(node).build())
              .reconnect(
                  ReconnectPolicy.builder()
                      .backoff(Duration.ofMillis(2), Duration.ofMillis(50))
                      .giveUpAfter(Duration.ofSeconds(20))
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
                      maybeLost.addAndGet(count);
                    }
                  })
              .connect(address));
    }
    StringBuffer faults = new StringBuffer();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    Thread chaos =
        new Thread(
            () -> {
              Random r = new Random(seed * 31);
              while (System.nanoTime() - end < 0) {
                int fault = r.nextInt(3);
                faults.append(fault).append(' ');
                Server<Object, Object> last = servers.get(servers.size() - 1);
                switch (fault) {
                  case 0 -> last.close();
                  case 1 -> last.close(Duration.ofMillis(50));
                  default -> {
                    // a client that vanishes in the middle of its HELLO, or after it
                    try (SocketChannel raw = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                      raw.connect(address);
                      raw.write(ByteBuffer.wrap(new byte[] {'T', 'E', 'T', 'H', 'E', 'R', 0}));
                    } catch (Exception e) {
                      // the server is between incarnations
                    }
                    continue;
                  }
                }
                servers.add(server(address, seen));
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50 + r.nextInt(200)));
              }
            },
            "chaos");
    chaos.setDaemon(true);
    chaos.start();
    long[] next = new long[clients.size()];
    List<CompletableFuture<Object>> asked = new ArrayList<>();
    try {
      while (System.nanoTime() - end < 0) {
        for (int i = 0; i < clients.size(); i++) {
          Connection<Object, Object> c = clients.get(i);
          try {
            c.send(new Msg("m", next[i]));
          } catch (ConnectionClosedException e) {
            // refused while a planned restart's close is answered: the same number again later
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            continue;
          }
          next[i]++;
          if (next[i] % 50 == 0) {
            asked.add(c.request(new Msg("q", next[i]), Duration.ofSeconds(10)));
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
          }
        }
      }
      chaos.join(20_000);
      long seq = next[0];
      int failed = 0;
      for (CompletableFuture<Object> f : asked) {
        try {
          f.get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          failed++;
          assertThat(e.getCause().getMessage()).isNotNull();
        }
      }
      System.out.printf(
          "seed %d: %d numbers sent to each of 3, %d resumed, %d maybe lost, %d missing, %d of %d"
              + " requests failed, %d servers%n  faults: %s%n",
          seed,
          seq,
          resumed.get(),
          maybeLost.get(),
          seen.gaps.get(),
          failed,
          asked.size(),
          servers.size(),
          faults);
      assertThat(seen.problems.toString()).as("seed %d; faults %s", seed, faults).isEmpty();
      long[] total = next;
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                long have = 0;
                for (long node = 1; node <= 3; node++) {
                  have += seen.last.getOrDefault(node, -1L) + 1;
                }
                return have + maybeLost.get() >= total[0] + total[1] + total[2];
              });
      assertThat(seen.gaps.get())
          .as("seed %d: missing beyond what was reported; faults %s", seed, faults)
          .isLessThanOrEqualTo(maybeLost.get());
      seen.requests.forEach(
          (q, n) -> assertThat(n).as("seed %d: request %s handled", seed, q).isEqualTo(1));
    } finally {
      chaos.interrupt();
      chaos.join(10_000);
      clients.forEach(Connection::close);
      synchronized (servers) {
        servers.forEach(Server::close);
      }
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(descriptors())
                    .as("seed %d: descriptors open; faults %s", seed, faults)
                    .isLessThanOrEqualTo(before));
    assertThat(Files.exists(address.getPath())).as("socket file left").isFalse();
  }
}
