package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a server's connection handler attaches to a connection is what every message and request
 * handler of that connection finds, on whatever thread the handlers run, from the first message on;
 * each connection keeps its own.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AttachmentTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeResources() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private <T extends AutoCloseable> T track(T resource) {
    resources.add(resource);
    return resource;
  }

  /** A connection's own tally, attached to it when it opens. */
  private static final class Tally {
    final Connection<Object, Object> owner;
    long next;

    Tally(Connection<Object, Object> owner) {
      this.owner = owner;
    }
  }

  @ParameterizedTest(name = "handlers {0}")
  @ValueSource(strings = {"default", "on pool", "on loop"})
  void everyHandlerCallFindsItsConnectionsAttachment(String handlers) throws Exception {
    TetherConfig.Builder config = TetherConfig.builder().codecs("test");
    if (handlers.equals("on pool")) {
      config.handlersOnPool();
    } else if (handlers.equals("on loop")) {
      config.handlersOnEventLoop();
    }
    ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
    AtomicInteger handled = new AtomicInteger();
    Server<Object, Object> server =
        track(
            Tether.server(TestTypes.TYPES)
                .config(config.build())
                .onConnection(
                    c -> {
                      if (c.attach(new Tally(c)) != null) {
                        wrong.add(c + " had an attachment before its connection handler");
                      }
                    })
                .onMessage(
                    (c, m) -> {
                      // each connection sends 0, 1, 2, ... in order: its own tally must follow
                      if (!(c.attachment() instanceof Tally tally)
                          || tally.owner != c
                          || tally.next++ != ((Msg) m).seq()) {
                        wrong.add(c + " got " + m + " with " + c.attachment());
                      }
                      handled.incrementAndGet();
                    })
                .onRequest(
                    (c, m) -> {
                      Tally tally = (Tally) c.attachment();
                      return new Msg("handled", tally.next);
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0)));

    int clients = 4;
    int messages = 2_000;
    List<Connection<Object, Object>> connections = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      connections.add(
          track(
              Tether.client(TestTypes.TYPES)
                  .config(TetherConfig.builder().codecs("test").build())
                  .connect(server.address())));
    }
    for (int seq = 0; seq < messages; seq++) {
      for (Connection<Object, Object> c : connections) {
        c.send(new Msg("m", seq));
      }
    }
    await().atMost(WAIT).until(() -> handled.get() == clients * messages);
    for (Connection<Object, Object> c : connections) {
      // a request comes after every message sent before it, and its handler sees the same tally
      assertThat(c.request(new Msg("how many?", 0)).get(30, TimeUnit.SECONDS))
          .isEqualTo(new Msg("handled", messages));
    }
    assertThat(wrong).isEmpty();
  }

  @Test
  void attachReturnsWhatWasAttachedAndNullDetaches() {
    Server<Object, Object> server =
        track(
            Tether.server(TestTypes.TYPES)
                .config(TetherConfig.builder().codecs("test").build())
                .onMessage((c, m) -> {})
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .config(TetherConfig.builder().codecs("test").build())
                .onMessage((c, m) -> {})
                .connect(server.address()));

    assertThat(client.attachment()).isNull();
    assertThat(client.attach("first")).isNull();
    assertThat(client.attach("second")).isEqualTo("first");
    assertThat(client.attachment()).isEqualTo("second");
    assertThat(client.attach(null)).isEqualTo("second");
    assertThat(client.attachment()).isNull();
  }
}
