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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A single-client server: a new client replaces the current one, whose connection ends with GOAWAY
 * REPLACED naming the newcomer, gracefully.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SingleClientServerTest {
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

  private Connection<Object, Object> client(Server<Object, Object> server, long nodeId) {
    return closing(
        Tether.client(TestTypes.TYPES)
            .config(TetherConfig.builder().codecs("test").nodeId(nodeId).build())
            .connect(server.address()));
  }

  @Test
  void aNewClientReplacesTheCurrentOneWhichSeesReplacedNamingTheNewcomer() throws Exception {
    BlockingQueue<ConnectionClosedException> serverSideCloses = new LinkedBlockingQueue<>();
    Server<Object, Object> server =
        closing(
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .singleClient()
                .onMessage((c, m) -> {})
                .onClose((c, cause) -> serverSideCloses.add(cause))
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    Connection<Object, Object> first = client(server, 1);
    await().atMost(WAIT).until(() -> server.connections().size() == 1);

    Connection<Object, Object> second = client(server, 2);

    ConnectionClosedException cause =
        first.onClose().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(cause.code()).isEqualTo(GoAwayCode.REPLACED);
    assertThat(cause.isRemote()).isTrue();
    assertThat(cause.isGraceful()).as(cause.reason()).isTrue();
    assertThat(cause.reason())
        .contains("replaced by a newer client")
        .contains(describe(second.localAddress()))
        .contains("node 2");
    assertThatThrownBy(() -> first.send(new Msg("too late", 1)))
        .isInstanceOfSatisfying(
            ConnectionClosedException.class,
            e -> assertThat(e.code()).isEqualTo(GoAwayCode.REPLACED));
    assertThat(serverSideCloses.poll(WAIT.toSeconds(), TimeUnit.SECONDS).code())
        .isEqualTo(GoAwayCode.REPLACED);
    await()
        .atMost(WAIT)
        .until(() -> server.connections().equals(List.of(server.connection(2).get())));
    assertThat(second.isOpen()).isTrue();
  }

  @Test
  void whatTheReplacedClientSentBeforeTheReplacementIsStillHandled() throws Exception {
    BlockingQueue<Object> handled = new LinkedBlockingQueue<>();
    Server<Object, Object> server =
        closing(
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .singleClient()
                .onMessage((c, m) -> handled.add(m))
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    Connection<Object, Object> first = client(server, 1);
    for (int i = 0; i < 1000; i++) {
      first.send(new Msg("before", i));
    }

    client(server, 2);

    ConnectionClosedException cause =
        first.onClose().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(cause.code()).isEqualTo(GoAwayCode.REPLACED);
    assertThat(cause.messagesNotSent()).isZero();
    await().atMost(WAIT).until(() -> handled.size() == 1000);
  }

  @Test
  void withoutSingleClientTheFirstClientStaysConnected() throws Exception {
    Server<Object, Object> server =
        closing(
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    Connection<Object, Object> first = client(server, 1);
    client(server, 2);

    await().atMost(WAIT).until(() -> server.connections().size() == 2);
    assertThat(first.isOpen()).isTrue();
  }

  private static String describe(java.net.SocketAddress address) {
    InetSocketAddress inet = (InetSocketAddress) address;
    return inet.getAddress().getHostAddress() + ":" + inet.getPort();
  }
}
