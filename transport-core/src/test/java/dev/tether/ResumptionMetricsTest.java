package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.metrics.TetherMeters;
import dev.tether.testing.FaultProxy;
import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The counters of a connection, and of its server, count what went over every socket the session
 * had: a resumed session does not start again from its new socket's bytes, so that a counter
 * published as monotonic ({@code tether.bytes}, a Micrometer function counter) never goes down.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ResumptionMetricsTest {
  @Test
  void bytesCountedBeforeAResumptionStayCountedOnBothSides() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicLong received = new AtomicLong();
    AtomicInteger resumed = new AtomicInteger();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .onMessage((c, m) -> received.incrementAndGet())
                .bind(new InetSocketAddress("127.0.0.1", 0));
        FaultProxy proxy = new FaultProxy(server.address());
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES)
                .codecs("test")
                .reconnect(
                    ReconnectPolicy.builder()
                        .backoff(Duration.ofMillis(5), Duration.ofMillis(50))
                        .build())
                .onReconnect(
                    new ReconnectListener<>() {
                      @Override
                      public void onResumed(Connection<Object, Object> c, int attempts) {
                        resumed.incrementAndGet();
                      }
                    })
                .connect(proxy.address())) {
      new TetherMeters(server).bindTo(registry);
      for (int i = 0; i < 1000; i++) {
        client.send(new Msg("m".repeat(100), i));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> received.get() == 1000);
      // the acknowledgement of the last of them has been read too
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> client.metrics().queuedOutboundBytes() == 0);
      long clientSent = client.metrics().bytesSent();
      long serverReceived = server.metrics().bytesReceived();
      double published =
          registry.get("tether.bytes").tag("direction", "received").functionCounter().count();
      assertThat(clientSent).isGreaterThan(100_000);
      assertThat(serverReceived).isGreaterThan(100_000);

      proxy.resetAll();
      await().atMost(Duration.ofSeconds(10)).until(() -> resumed.get() == 1);
      client.send(new Msg("after", 1000));
      await().atMost(Duration.ofSeconds(10)).until(() -> received.get() == 1001);

      assertThat(client.metrics().bytesSent())
          .as("the client's bytes sent, after the session resumed")
          .isGreaterThan(clientSent);
      assertThat(server.metrics().bytesReceived())
          .as("the server's bytes received, after the session resumed")
          .isGreaterThan(serverReceived);
      assertThat(
              registry.get("tether.bytes").tag("direction", "received").functionCounter().count())
          .as("tether.bytes received, a counter")
          .isGreaterThan(published);
    }
  }

  @Test
  void aServersCountersNeverGoDownWhileConnectionsComeAndGo() throws Exception {
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onRequest((c, m) -> m)
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      java.util.concurrent.atomic.AtomicBoolean done =
          new java.util.concurrent.atomic.AtomicBoolean();
      StringBuffer problems = new StringBuffer();
      AtomicLong scrapes = new AtomicLong();
      Thread scraper =
          new Thread(
              () -> {
                ServerMetrics last = server.metrics();
                while (!done.get()) {
                  ServerMetrics now = server.metrics();
                  scrapes.incrementAndGet();
                  if (now.messagesReceived() < last.messagesReceived()
                      || now.messagesSent() < last.messagesSent()
                      || now.bytesReceived() < last.bytesReceived()
                      || now.bytesSent() < last.bytesSent()) {
                    problems.append(last).append(" then ").append(now).append("; ");
                  }
                  last = now;
                }
              },
              "scraper");
      scraper.start();
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
      int connections = 0;
      try {
        while (System.nanoTime() - end < 0 && problems.length() == 0) {
          try (Connection<Object, Object> client =
              Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
            client.request(new Msg("q", connections)).get(10, TimeUnit.SECONDS);
          }
          connections++;
        }
      } finally {
        done.set(true);
        scraper.join(10_000);
      }
      System.out.printf("%d connections, %d scrapes%n", connections, scrapes.get());
      assertThat(problems.toString()).as("counters that went down").isEmpty();
    }
  }
}
