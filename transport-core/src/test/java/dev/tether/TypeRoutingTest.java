package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.testing.Blob;
import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Handlers per message class, over real sockets: each type reaches its own typed handler, typed
 * requests need no casts, and what no route takes has a defined fate.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TypeRoutingTest {
  private static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);

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

  private static ServerBuilder<Object, Object> server() {
    return Tether.server(TestTypes.TYPES).codecs("test");
  }

  private Connection<Object, Object> client(Server<Object, Object> server) {
    return closing(Tether.client(TestTypes.TYPES).codecs("test").connect(server.address()));
  }

  private static <T> T next(BlockingQueue<T> queue) throws InterruptedException {
    T item = queue.poll(10, TimeUnit.SECONDS);
    assertThat(item).as("an item within 10 s").isNotNull();
    return item;
  }

  @Test
  void eachMessageGoesToTheHandlerOfItsClassInOrder() throws Exception {
    BlockingQueue<Object> handled = new LinkedBlockingQueue<>();
    Server<Object, Object> server =
        closing(
            server()
                .onMessage(Msg.class, (c, msg) -> handled.add("msg " + msg.seq()))
                .onMessage(Blob.class, (c, blob) -> handled.add("blob " + blob.seq()))
                .bind(ANY_PORT));
    Connection<Object, Object> client = client(server);

    client.send(new Msg("a", 1));
    client.send(new Blob(2, new byte[3]));
    client.send(new Msg("b", 3));

    assertThat(List.of(next(handled), next(handled), next(handled)))
        .containsExactly("msg 1", "blob 2", "msg 3");
  }

  @Test
  void aRequestIsAnsweredByTheHandlerOfItsClassAndTheResponseArrivesTyped() throws Exception {
    Server<Object, Object> server =
        closing(
            server()
                .onRequest(Msg.class, (c, msg) -> new Blob(msg.seq() * 10, new byte[2]))
                .onRequest(Blob.class, (c, blob) -> new Msg("blob of " + blob.data().length, 0))
                .bind(ANY_PORT));
    Connection<Object, Object> client = client(server);

    CompletableFuture<Blob> blob = client.request(new Msg("q", 4), Blob.class);
    CompletableFuture<Msg> msg = client.request(new Blob(1, new byte[5]), Msg.class);

    assertThat(blob.get(10, TimeUnit.SECONDS).seq()).isEqualTo(40);
    assertThat(msg.get(10, TimeUnit.SECONDS).text()).isEqualTo("blob of 5");
  }

  @Test
  void anUnroutedMessageGoesToTheGeneralHandler() throws Exception {
    BlockingQueue<Object> routed = new LinkedBlockingQueue<>();
    BlockingQueue<Object> general = new LinkedBlockingQueue<>();
    Server<Object, Object> server =
        closing(
            server()
                .onMessage((c, m) -> general.add(m))
                .onMessage(Msg.class, (c, msg) -> routed.add(msg))
                .bind(ANY_PORT));
    Connection<Object, Object> client = client(server);

    client.send(new Blob(7, new byte[1]));
    client.send(new Msg("m", 8));

    assertThat(((Blob) next(general)).seq()).isEqualTo(7);
    assertThat(next(routed)).isEqualTo(new Msg("m", 8));
    assertThat(general).isEmpty();
  }

  @Test
  void anUnroutedMessageWithoutGeneralHandlerClosesTheConnectionNamingItsType() throws Exception {
    Server<Object, Object> server =
        closing(server().onMessage(Msg.class, (c, msg) -> {}).bind(ANY_PORT));
    Connection<Object, Object> client = client(server);

    client.send(new Blob(1, new byte[1]));

    ConnectionClosedException cause =
        client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertThat(cause.code()).isEqualTo(GoAwayCode.INTERNAL_ERROR);
    assertThat(cause.reason())
        .contains("no handler for " + Blob.class.getName())
        .contains("onMessage(Blob.class, ...)");
  }

  @Test
  void anUnroutedMessageIsSkippedWhenTheHandlerFailurePolicySaysLogAndContinue() throws Exception {
    BlockingQueue<Msg> routed = new LinkedBlockingQueue<>();
    Server<Object, Object> server =
        closing(
            server()
                .config(
                    TetherConfig.builder()
                        .codecs("test")
                        .handlerFailurePolicy(HandlerFailurePolicy.LOG_AND_CONTINUE)
                        .build())
                .onMessage(Msg.class, (c, msg) -> routed.add(msg))
                .bind(ANY_PORT));
    Connection<Object, Object> client = client(server);

    client.send(new Blob(1, new byte[1]));
    client.send(new Msg("after", 2));

    assertThat(next(routed)).isEqualTo(new Msg("after", 2));
    assertThat(client.isOpen()).isTrue();
  }

  @Test
  void anUnroutedRequestWithoutGeneralHandlerIsAnsweredNoHandlerAndTheConnectionStaysUp()
      throws Exception {
    Server<Object, Object> server =
        closing(server().onRequest(Msg.class, (c, msg) -> msg).bind(ANY_PORT));
    Connection<Object, Object> client = client(server);

    CompletableFuture<Msg> unrouted = client.request(new Blob(1, new byte[1]), Msg.class);

    assertThatThrownBy(() -> unrouted.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            RequestFailedException.class,
            e -> {
              assertThat(e.code()).isEqualTo(RequestErrorCode.NO_HANDLER);
              assertThat(e.remoteMessage()).contains("no handler for " + Blob.class.getName());
            });
    assertThat(client.request(new Msg("still up", 2), Msg.class).get(10, TimeUnit.SECONDS))
        .isEqualTo(new Msg("still up", 2));
  }

  @Test
  void anUnroutedRequestGoesToTheGeneralRequestHandler() throws Exception {
    Server<Object, Object> server =
        closing(
            server()
                .onRequest((c, m) -> new Msg("general", 0))
                .onRequest(Msg.class, (c, msg) -> new Msg("routed", 0))
                .bind(ANY_PORT));
    Connection<Object, Object> client = client(server);

    assertThat(client.request(new Blob(1, new byte[0]), Msg.class).get(10, TimeUnit.SECONDS))
        .isEqualTo(new Msg("general", 0));
    assertThat(client.request(new Msg("x", 1), Msg.class).get(10, TimeUnit.SECONDS))
        .isEqualTo(new Msg("routed", 0));
  }

  @Test
  void aResponseOfAnotherClassFailsTheTypedRequestNamingBothClasses() throws Exception {
    Server<Object, Object> server = closing(server().onRequest((c, m) -> m).bind(ANY_PORT));
    Connection<Object, Object> client = client(server);

    CompletableFuture<Blob> wrong = client.request(new Msg("echoed as Msg", 1), Blob.class);

    assertThatThrownBy(() -> wrong.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(TetherException.class)
        .hasMessageContaining("expected a response of " + Blob.class.getName())
        .hasMessageContaining("answered with " + Msg.class.getName());
    assertThat(client.isOpen()).isTrue();
  }

  @Test
  void aRouteForASupertypeTakesTheRegisteredSubtypesThatHaveNoRouteOfTheirOwn() throws Exception {
    BlockingQueue<String> handled = new LinkedBlockingQueue<>();
    Server<Object, Object> server =
        closing(
            server()
                .onMessage(Record.class, (c, record) -> handled.add("record " + record))
                .onMessage(Msg.class, (c, msg) -> handled.add("msg " + msg.seq()))
                .bind(ANY_PORT));
    Connection<Object, Object> client = client(server);

    client.send(new Msg("exact", 1));
    client.send(new Blob(2, new byte[0]));

    assertThat(next(handled)).isEqualTo("msg 1");
    assertThat(next(handled)).startsWith("record Blob[seq=2");
  }

  @Test
  void aClientRoutesTheServersMessagesByClassToo() throws Exception {
    Server<Object, Object> server =
        closing(
            server()
                .onConnection(
                    c -> {
                      c.send(new Blob(1, new byte[0]));
                      c.send(new Msg("hi", 2));
                    })
                .bind(ANY_PORT));
    BlockingQueue<String> handled = new LinkedBlockingQueue<>();
    closing(
        Tether.client(TestTypes.TYPES)
            .codecs("test")
            .onMessage(Msg.class, (c, msg) -> handled.add("msg " + msg.text()))
            .onMessage(Blob.class, (c, blob) -> handled.add("blob " + blob.seq()))
            .connect(server.address()));

    assertThat(List.of(next(handled), next(handled))).containsExactly("blob 1", "msg hi");
  }

  @Test
  void routingATypeThatIsNotRegisteredOrRoutedAlreadyIsRefusedWhenBuilding() {
    assertThatThrownBy(() -> server().onMessage(String.class, (c, s) -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot route java.lang.String")
        .hasMessageContaining("not registered");
    assertThatThrownBy(
            () -> server().onRequest(Msg.class, (c, m) -> m).onRequest(Msg.class, (c, m) -> m))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("routed already");
  }
}
