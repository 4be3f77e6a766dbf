package dev.tether.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.Connection;
import dev.tether.RequestErrorCode;
import dev.tether.RequestFailedException;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The echo profile of PROTOCOL.md §10, served in this JVM, over every codec on the class path. */
class EchoServerTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  static Stream<String> codecs() {
    return EchoProtocol.availableCodecs().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("codecs")
  void answersDataRequestsAndFailRequestsAsTheProfileSays(String codec) throws Exception {
    List<String> events = new CopyOnWriteArrayList<>();
    try (Server<Echo, Echo> server =
            EchoServer.start(
                new InetSocketAddress("127.0.0.1", 0), List.of(), "test", events::add);
        Connection<Echo, Echo> client =
            Tether.<Echo, Echo>client(EchoProtocol.TYPES).codecs(codec).connect(server.address())) {
      assertThat(client.peer().codec()).isEqualTo(codec);
      assertThat(client.peer().serverName()).isEqualTo("test");

      client.send(new Echo("hi", 1));
      assertThat(client.receive(TIMEOUT)).isEqualTo(new Echo("hi", 1));

      Echo question = new Echo("ask", 2);
      assertThat(client.request(question, TIMEOUT).get()).isEqualTo(question);

      assertThatThrownBy(() -> client.request(new Echo("fail:no luck", 3), TIMEOUT).join())
          .isInstanceOf(CompletionException.class)
          .cause()
          .isInstanceOfSatisfying(
              RequestFailedException.class,
              failed -> {
                assertThat(failed.code()).isEqualTo(RequestErrorCode.HANDLER_FAILED);
                assertThat(failed.remoteMessage()).contains("no luck");
              });
      assertThat(client.isOpen()).as("an error response leaves the connection up").isTrue();
    }
    assertThat(events).first().asString().contains("connected, codec " + codec);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("codecs")
  void anEchoTooLargeForTheClientIsSkippedAndTheConnectionStaysUp(String codec) throws Exception {
    try (Server<Echo, Echo> server =
            EchoServer.start(new InetSocketAddress("127.0.0.1", 0), List.of(), "test", e -> {});
        Connection<Echo, Echo> client =
            Tether.<Echo, Echo>client(EchoProtocol.TYPES)
                .config(TetherConfig.builder().codecs(codec).maxFrameBytes(1024).build())
                .connect(server.address())) {
      client.send(new Echo("x".repeat(4000), 1)); // fits the server's limit, not the client's

      client.send(new Echo("small", 2));

      assertThat(client.receive(TIMEOUT)).isEqualTo(new Echo("small", 2));
      assertThat(client.isOpen()).isTrue();
    }
  }
}
