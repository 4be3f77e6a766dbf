package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A server handler addresses a client by the node id it announced. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServerConnectionByNodeIdTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final List<AutoCloseable> closeAfter = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeAfter.size() - 1; i >= 0; i--) {
      closeAfter.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closing(T resource) {
    closeAfter.add(resource);
    return resource;
  }

  private Connection<Object, Object> client(
      Server<Object, Object> server, long nodeId, BlockingQueue<Object> inbox) {
    return closing(
        Tether.client(TestTypes.TYPES)
            .config(TetherConfig.builder().codecs("test").nodeId(nodeId).build())
            .onMessage((c, m) -> inbox.add(m))
            .connect(server.address()));
  }

  /** A relay: Msg(text, seq) from any client goes to the client whose node id is seq. */
  private Server<Object, Object> relay() {
    AtomicReference<Server<Object, Object>> self = new AtomicReference<>();
    self.set(
        closing(
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .onMessage(
                    Msg.class,
                    (from, msg) ->
                        self.get()
                            .connection(msg.seq())
                            .ifPresentOrElse(
                                to ->
                                    to.send(
                                        new Msg(
                                            msg.text() + " from " + from.peer().nodeId(),
                                            msg.seq())),
                                () -> from.send(new Msg("no node " + msg.seq(), 0))))
                .bind(new InetSocketAddress("127.0.0.1", 0))));
    return self.get();
  }

  @Test
  void aHandlerSendsToAnotherClientByItsNodeId() throws Exception {
    Server<Object, Object> server = relay();
    BlockingQueue<Object> inbox1 = new LinkedBlockingQueue<>();
    BlockingQueue<Object> inbox2 = new LinkedBlockingQueue<>();
    Connection<Object, Object> one = client(server, 1, inbox1);
    client(server, 2, inbox2);
    await().atMost(WAIT).until(() -> server.connection(2).isPresent());

    one.send(new Msg("hello", 2));
    one.send(new Msg("anyone?", 3));

    assertThat(inbox2.poll(10, TimeUnit.SECONDS)).isEqualTo(new Msg("hello from 1", 2));
    assertThat(inbox1.poll(10, TimeUnit.SECONDS)).isEqualTo(new Msg("no node 3", 0));
  }

  @Test
  void aClientThatClosedIsNoLongerFound() throws Exception {
    Server<Object, Object> server = relay();
    Connection<Object, Object> two = client(server, 2, new LinkedBlockingQueue<>());
    await().atMost(WAIT).until(() -> server.connection(2).isPresent());
    assertThat(server.connection(2).get().peer().nodeId()).isEqualTo(2);

    two.close();

    await().atMost(WAIT).until(() -> server.connection(2).isEmpty());
  }

  @Test
  void theConnectionHandlerFindsItsOwnConnectionByNodeId() throws Exception {
    BlockingQueue<Boolean> found = new LinkedBlockingQueue<>();
    AtomicReference<Server<Object, Object>> self = new AtomicReference<>();
    self.set(
        closing(
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .onConnection(c -> found.add(self.get().connection(c.peer().nodeId()).isPresent()))
                .bind(new InetSocketAddress("127.0.0.1", 0))));

    client(self.get(), 5, new LinkedBlockingQueue<>());

    assertThat(found.poll(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void nodeIdZeroNamesNoClient() {
    Server<Object, Object> server = relay();

    assertThatThrownBy(() -> server.connection(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("anonymous");
  }
}
