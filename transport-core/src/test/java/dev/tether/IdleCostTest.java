package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.TestTypes;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Idle connections cost next to nothing: a heartbeat is a few bytes written from a buffer that
 * exists already; nothing is allocated, grown or trimmed per PING or PONG.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class IdleCostTest {
  private static final int CONNECTIONS = 400;

  @Test
  void heartbeatsOfIdleConnectionsAllocateNothingOnTheEventLoops() throws Exception {
    TetherConfig config =
        TetherConfig.builder()
            .codecs("test")
            .heartbeatInterval(Duration.ofMillis(25))
            .idleTimeout(Duration.ofSeconds(5))
            .build();
    List<Connection<Object, Object>> clients = new ArrayList<>();
    try (TetherRuntime runtime =
            TetherRuntime.builder().eventLoops(2).threadNamePrefix("idle-test").build();
        Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .runtime(runtime)
                .config(config)
                .bind(new InetSocketAddress("127.0.0.1", 0))) {
      for (int i = 0; i < CONNECTIONS; i++) {
        clients.add(
            Tether.client(TestTypes.TYPES)
                .runtime(runtime)
                .config(config)
                .connect(server.address()));
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> server.connections().size() == CONNECTIONS);
      // warm up: every path of a heartbeat has run, and the JIT has settled
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> pongs(clients, server) > 20L * CONNECTIONS);

      long pongsBefore = pongs(clients, server);
      long allocatedBefore = loopAllocations();
      LockSupport.parkNanos(
          TimeUnit.SECONDS.toNanos(2)); // let heartbeats run: the quantity measured
      long allocated = loopAllocations() - allocatedBefore;
      long pongs = pongs(clients, server) - pongsBefore;

      assertThat(pongs).as("heartbeats in 2 s").isGreaterThan(10L * CONNECTIONS);
      // the old engine grew and trimmed a 16 KiB ring per heartbeat; what is left is the JDK's
      // epoll selector boxing each ready file descriptor above 127 into an Integer (16 bytes per
      // ready channel, two per exchange), which Tether cannot avoid
      assertThat((double) allocated / pongs)
          .as(
              "bytes allocated by the event loops per PING/PONG exchange (%d over %d)",
              allocated, pongs)
          .isLessThan(48.0);
      for (Connection<Object, Object> c : clients) {
        assertThat(c.isOpen()).isTrue();
      }
    } finally {
      for (Connection<Object, Object> c : clients) {
        c.closeAsync();
      }
    }
  }

  private static long pongs(List<Connection<Object, Object>> clients, Server<?, ?> server) {
    long n = 0;
    for (Connection<Object, Object> c : clients) {
      n += c.metrics().pings();
    }
    for (Connection<?, ?> c : server.connections()) {
      n += c.metrics().pings();
    }
    return n;
  }

  private static long loopAllocations() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long total = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("idle-test-loop-")) {
        total += threads.getThreadAllocatedBytes(t.getId());
      }
    }
    return total;
  }
}
