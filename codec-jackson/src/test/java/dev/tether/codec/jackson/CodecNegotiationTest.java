package dev.tether.codec.jackson;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.Connection;
import dev.tether.GoAwayCode;
import dev.tether.HandshakeException;
import dev.tether.MessageTypes;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.testing.ContractTypes;
import dev.tether.testing.ContractTypes.Text;
import dev.tether.testing.RawPeer;
import dev.tether.testing.RawPeer.GoAway;
import dev.tether.testing.RawPeer.Hello;
import dev.tether.testing.RawPeer.Welcome;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Codec negotiation across modules (PROTOCOL.md §4): the server picks the first codec in the
 * client's list that it supports, and when there is none both sides learn both lists. The client
 * API only offers codecs on its own class path, so offers of {@code kryo} and {@code fury}, which
 * are not on this module's, are made by a {@link RawPeer}.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CodecNegotiationTest {
  private static final MessageTypes TYPES = ContractTypes.TYPES;
  private static final Duration WAIT = Duration.ofSeconds(10);

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

  private Server<Object, Object> echoServer(String... codecs) {
    return track(
        Tether.server(TYPES)
            .codecs(codecs)
            .onMessage((connection, message) -> connection.send(message))
            .bind(new InetSocketAddress("127.0.0.1", 0)));
  }

  @Test
  void clientOfferingCborThenJsonToAJsonOnlyServerTalksJson() throws Exception {
    Server<Object, Object> server = echoServer("json");

    Connection<Object, Object> client =
        track(Tether.client(TYPES).codecs("cbor", "json").connect(server.address()));
    client.send(new Text("négocié 𝄞", null));

    assertThat(client.peer().codec()).isEqualTo("json");
    assertThat(client.receive(WAIT)).isEqualTo(new Text("négocié 𝄞", null));
    await().atMost(WAIT).until(() -> server.connections().size() == 1);
    assertThat(server.connections().get(0).peer().codec()).isEqualTo("json");
  }

  @Test
  void serverSupportingBothFollowsTheClientsOrderOfPreference() {
    Server<Object, Object> server = echoServer("json", "cbor");

    Connection<Object, Object> cborFirst =
        track(Tether.client(TYPES).codecs("cbor", "json").connect(server.address()));
    Connection<Object, Object> jsonFirst =
        track(Tether.client(TYPES).codecs("json", "cbor").connect(server.address()));

    assertThat(cborFirst.peer().codec()).isEqualTo("cbor");
    assertThat(jsonFirst.peer().codec()).isEqualTo("json");
  }

  @Test
  void clientWithNoCodecInCommonIsRefusedWithAnErrorListingBothSets() {
    Server<Object, Object> server = echoServer("json");

    assertThatThrownBy(() -> Tether.client(TYPES).codecs("cbor").connect(server.address()))
        .isInstanceOfSatisfying(
            HandshakeException.class,
            e -> {
              assertThat(e.code()).isEqualTo(GoAwayCode.NO_COMMON_CODEC);
              assertThat(e.isRemote()).as("the server refused").isTrue();
            })
        .hasMessageContaining("client offers [cbor], server supports [json]");
  }

  @Test
  void clientOfferingFuryThenJsonOnTheWireIsAnsweredWithJson() throws IOException {
    Server<Object, Object> server = echoServer("json");
    RawPeer peer = track(RawPeer.connect(server.address()));

    Welcome welcome = peer.handshake(Hello.forTypes(TYPES).codecs("fury", "json"));

    assertThat(welcome.codec()).isEqualTo("json");
  }

  @Test
  void serverRefusesAClientOfferingOnlyKryoWithAGoAwayListingBothSets() throws IOException {
    Server<Object, Object> server = echoServer("json", "cbor");
    RawPeer peer = track(RawPeer.connect(server.address()));

    peer.writePreambleAndHello(Hello.forTypes(TYPES).codecs("kryo"));

    GoAway goAway = peer.readRefusal();
    assertThat(goAway.code()).as("NO_COMMON_CODEC").isEqualTo(4);
    assertThat(goAway.reason())
        .isEqualTo("codec mismatch: client offers [kryo], server supports [json, cbor]");
    assertThat(server.connections()).isEmpty();
  }
}
