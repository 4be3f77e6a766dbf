package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A handler may close its own server, runtime or peer pool, as a node's "shut down" command would.
 * The close then cannot wait for the connection whose handler called it, nor for the loop the
 * handler runs on: it starts everything and returns, and the rest follows once the handler has
 * returned. (Each used to wait for itself until a deadline: the peer of a server closed from a
 * handler on its loop heard nothing and gave up at its idle timeout.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CloseFromHandlerTest {
  private static TetherConfig config(boolean onLoop) {
    TetherConfig.Builder builder = TetherConfig.builder().codecs("test");
    return (onLoop ? builder.handlersOnEventLoop() : builder.handlersOnPool()).build();
  }

  @ParameterizedTest(name = "handlers on the loop: {0}")
  @ValueSource(booleans = {true, false})
  void aServerClosedByItsOwnHandlerClosesEveryConnectionGracefully(boolean onLoop)
      throws Exception {
    String prefix = "server-closed-by-handler-" + onLoop;
    AtomicReference<Server<Object, Object>> server = new AtomicReference<>();
    CompletableFuture<Void> closeReturned = new CompletableFuture<>();
    try (TetherRuntime runtime =
        TetherRuntime.builder().eventLoops(1).threadNamePrefix(prefix).build()) {
      server.set(
          Tether.server(TestTypes.TYPES)
              .runtime(runtime)
              .config(config(onLoop))
              .onMessage(
                  (c, m) -> {
                    server.get().close();
                    closeReturned.complete(null);
                  })
              .bind(new InetSocketAddress("127.0.0.1", 0)));
      Connection<Object, Object> client =
          Tether.client(TestTypes.TYPES).codecs("test").connect(server.get().address());
      Connection<Object, Object> other =
          Tether.client(TestTypes.TYPES).codecs("test").connect(server.get().address());

      client.send(new Msg("shut down", 1));

      closeReturned.get(20, TimeUnit.SECONDS);
      for (Connection<Object, Object> c : List.of(client, other)) {
        ConnectionClosedException cause =
            c.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertThat(cause.code()).as(cause.reason()).isEqualTo(GoAwayCode.SHUTTING_DOWN);
        assertThat(cause.isRemote()).isTrue();
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> server.get().connections().isEmpty());
    }
  }

  @ParameterizedTest(name = "handlers on the loop: {0}")
  @ValueSource(booleans = {true, false})
  void aRuntimeClosedByAHandlerStopsItsLoops(boolean onLoop) throws Exception {
    String prefix = "runtime-closed-by-handler-" + onLoop;
    TetherRuntime runtime = TetherRuntime.builder().eventLoops(1).threadNamePrefix(prefix).build();
    CompletableFuture<Void> closeReturned = new CompletableFuture<>();
    try (runtime;
        Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .runtime(runtime)
                .config(config(onLoop))
                .onMessage(
                    (c, m) -> {
                      runtime.close();
                      closeReturned.complete(null);
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
      client.send(new Msg("shut down", 1));

      closeReturned.get(20, TimeUnit.SECONDS);
      ConnectionClosedException cause =
          client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(cause.isRemote()).as("the client saw the close, not its idle timeout").isTrue();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  Thread.getAllStackTraces().keySet().stream()
                      .noneMatch(t -> t.isAlive() && t.getName().startsWith(prefix + "-loop-")));
    }
  }

  @ParameterizedTest(name = "handlers on the loop: {0}")
  @ValueSource(booleans = {true, false})
  void aPeerPoolClosedByAHandlerOfItsConnectionClosesItGracefully(boolean onLoop) throws Exception {
    AtomicReference<PeerPool<Object, Object>> pool = new AtomicReference<>();
    CompletableFuture<Void> closeReturned = new CompletableFuture<>();
    try (Server<Object, Object> peer =
        Tether.server(TestTypes.TYPES)
            .config(TetherConfig.builder().codecs("test").nodeId(2).build())
            .onMessage((c, m) -> c.send(new Msg("shut down", 0)))
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      pool.set(
          Tether.client(TestTypes.TYPES)
              .config(config(onLoop))
              .onMessage(
                  (c, m) -> {
                    pool.get().close();
                    closeReturned.complete(null);
                  })
              .peerPool(new PeerAddresses().put(2, peer.address())));
      Connection<Object, Object> connection = pool.get().connection(2);

      connection.send(new Msg("hello", 1));

      closeReturned.get(20, TimeUnit.SECONDS);
      ConnectionClosedException cause =
          connection.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(cause.isGraceful()).as(cause.reason()).isTrue();
      assertThat(cause.isRemote()).isFalse();
    }
  }

  /**
   * A handler that waits for its own connection's close would wait for good: the close completes
   * once that handler returns (on the loop, the loop would stop serving every connection
   * meanwhile). The wait is refused at once, saying why; the close goes on and ends gracefully.
   */
  @ParameterizedTest(name = "handlers on the loop: {0}, in the close handler: {1}")
  @CsvSource({"true, false", "false, false", "true, true", "false, true"})
  void aHandlerWaitingForItsOwnConnectionsCloseIsToldItWouldWaitForever(
      boolean onLoop, boolean inCloseHandler) throws Exception {
    CompletableFuture<Throwable> refusal = new CompletableFuture<>();
    MessageHandler<Object, Object> waitForClose =
        (c, m) -> {
          try {
            c.closeAsync().toCompletableFuture().get(10, TimeUnit.SECONDS);
            refusal.complete(null);
          } catch (Throwable t) {
            refusal.complete(t);
          }
        };
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(config(onLoop))
                .onMessage(inCloseHandler ? (c, m) -> c.close() : waitForClose)
                .onClose(
                    (c, cause) -> {
                      if (inCloseHandler) {
                        try {
                          waitForClose.onMessage(c, cause);
                        } catch (Exception e) {
                          refusal.complete(e);
                        }
                      }
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
      client.send(new Msg("close and wait", 1));

      assertThat(refusal.get(20, TimeUnit.SECONDS))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("would never end");
      ConnectionClosedException cause =
          client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(cause.code()).as(cause.reason()).isEqualTo(GoAwayCode.NORMAL);
      assertThat(cause.isGraceful()).as(cause.reason()).isTrue();
    }
  }
}
