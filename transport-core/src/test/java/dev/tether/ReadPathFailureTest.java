package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.TestCodecProvider;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Anything unexpected on a connection's read path (here a codec that throws an {@link Error})
 * closes that connection alone, with INTERNAL_ERROR; the loop and every other connection go on.
 * Wherever the payload was decoded — on the event loop, or, past 64 KiB, by the connection's
 * dispatcher, by {@code receive} or on the pool — the outcome is the same, and nothing waits for an
 * answer that cannot come.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadPathFailureTest {
  /** Past the size decoded on the event loop. */
  private static final String LARGE = "x".repeat(100 * 1024);

  private static Msg broken(boolean large, long seq) {
    return new Msg(TestCodecProvider.CODEC_BUG + " boom" + (large ? LARGE : ""), seq);
  }

  @ParameterizedTest(name = "{0}, large: {1}")
  @CsvSource({"message, false", "message, true", "request, false", "request, true"})
  void anUnexpectedErrorWhileDecodingClosesOnlyThatConnection(String kind, boolean large)
      throws Exception {
    TetherRuntime oneLoop = TetherRuntime.builder().eventLoops(1).build();
    try (oneLoop;
        Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .runtime(oneLoop)
                .codecs("test")
                .onMessage((c, m) -> c.send(m))
                .onRequest((c, m) -> m)
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> victim =
            Tether.client(TestTypes.TYPES).codecs("test").connect(server.address());
        Connection<Object, Object> bystander =
            Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
      CompletableFuture<Object> request = null;
      if (kind.equals("message")) {
        victim.send(broken(large, 1));
      } else {
        request = victim.request(broken(large, 1), Duration.ofMinutes(10));
      }

      ConnectionClosedException cause =
          victim.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(cause.code()).isEqualTo(GoAwayCode.INTERNAL_ERROR);
      assertThat(cause.isRemote()).isTrue();
      assertThat(cause.reason()).contains("codec test has a bug");
      if (request != null) {
        assertThatThrownBy(request::get)
            .isInstanceOf(ExecutionException.class)
            .cause()
            .isInstanceOf(ConnectionClosedException.class)
            .hasMessageContaining("codec test has a bug");
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> server.connections().size() == 1);
      for (int i = 0; i < 20; i++) {
        assertThat(bystander.request(new Msg("still here", i)).get(5, TimeUnit.SECONDS))
            .isEqualTo(new Msg("still here", i));
      }
    }
  }

  @ParameterizedTest(name = "large: {0}")
  @ValueSource(booleans = {false, true})
  void aResponseThatBreaksTheDecoderFailsItsRequestAtOnce(boolean large) throws Exception {
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .onRequest((c, m) -> broken(large, ((Msg) m).seq()))
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
      // no timeout of its own to fall back on: the failure itself must complete it
      CompletableFuture<Object> request = client.request(new Msg("q", 1), Duration.ofMinutes(10));

      assertThatThrownBy(() -> request.get(20, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .rootCause()
          .hasMessageContaining("codec test has a bug");
      ConnectionClosedException cause =
          client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(cause.code()).isEqualTo(GoAwayCode.INTERNAL_ERROR);
      assertThat(cause.isRemote()).isFalse();
      assertThat(cause.reason()).contains("codec test has a bug");
    }
  }

  @Test
  void aLargeMessageThatBreaksTheDecoderInReceiveIsThrownThereAndClosesTheConnection()
      throws Exception {
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .onConnection(c -> c.send(broken(true, 1)))
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
      assertThatThrownBy(() -> client.receive(Duration.ofSeconds(20)))
          .hasMessageContaining("codec test has a bug");

      ConnectionClosedException cause =
          client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(cause.code()).isEqualTo(GoAwayCode.INTERNAL_ERROR);
      assertThat(cause.reason()).contains("codec test has a bug");
      assertThatThrownBy(() -> client.receive(Duration.ofSeconds(20)))
          .isInstanceOf(ConnectionClosedException.class);
    }
  }

  /**
   * A codec of the application's that decodes a payload to null, or to an object of another class
   * than the frame's type names, is refused as a payload it cannot read (PROTOCOL.md decision
   * (kk)): neither reaches the application, where null would read as "nothing arrived in time" to
   * {@code receive} and the wrong class would fail far from its cause.
   */
  @ParameterizedTest(name = "{0}, {1}")
  @CsvSource({
    "decodes-to-null:, message",
    "decodes-to-null:, request",
    "decodes-to-null:, response",
    "decodes-to-blob:, message",
    "decodes-to-blob:, request",
    "decodes-to-blob:, response"
  })
  void aDecodeToNullOrToAnotherClassIsRefusedAsUndecodable(String bug, String kind)
      throws Exception {
    Msg bad = new Msg(bug + " x", 1);
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .onConnection(
                    c -> {
                      if (kind.equals("message")) {
                        c.send(bad);
                      }
                    })
                .onRequest((c, m) -> kind.equals("response") && ((Msg) m).seq() == 1 ? bad : m)
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
      String expected =
          bug.equals("decodes-to-null:") ? "returned null" : "dev.tether.testing.Blob";
      switch (kind) {
        case "message" -> {
          assertThatThrownBy(() -> client.receive(Duration.ofSeconds(20)))
              .isInstanceOf(ConnectionClosedException.class);
          ConnectionClosedException cause =
              client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
          assertThat(cause.code()).isEqualTo(GoAwayCode.CODEC_ERROR);
          assertThat(cause.reason()).contains("Msg").contains(expected);
        }
        case "request" ->
            assertThatThrownBy(() -> client.request(bad).get(20, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(RequestFailedException.class)
                .hasMessageContaining(expected);
        default ->
            assertThatThrownBy(() -> client.request(new Msg("q", 1)).get(20, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(dev.tether.codec.CodecException.class)
                .hasMessageContaining(expected);
      }
      if (!kind.equals("message")) {
        assertThat(client.request(new Msg("fine", 2)).get(20, TimeUnit.SECONDS))
            .isEqualTo(new Msg("fine", 2));
      }
    }
  }
}
