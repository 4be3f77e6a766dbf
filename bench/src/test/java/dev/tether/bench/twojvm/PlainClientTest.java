package dev.tether.bench.twojvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.bench.support.Payloads;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The plain client speaks Tether's protocol from the text: handshake, DATA, and refusals. */
class PlainClientTest {
  @Test
  void roundTripsWithATetherServerAndChecksEveryEcho() throws Exception {
    ServerEnd server = ServerEnd.start(Contender.TETHER, "json", true);
    try (ClientEnd client = PlainClient.connect(Contender.TETHER, "json", server.address(), 1)) {
      for (long seq = 0; seq < 1000; seq++) {
        client.roundTrip(seq);
      }
    } finally {
      server.close();
    }
    assertThat(server.tally().received()).isEqualTo(1000);
    assertThat(server.tally().errors()).isZero();
  }

  @Test
  void aServerThatRefusesTheHandshakeIsReportedWithItsReason() {
    // a server with another registry: the schema fingerprints differ
    Server<Object, Object> server =
        Tether.server(Payloads.types("bytes"))
            .onMessage((connection, message) -> {})
            .bind(new InetSocketAddress("127.0.0.1", 0));
    try {
      assertThatThrownBy(
              () ->
                  PlainClient.connect(
                      Contender.TETHER, "json", (InetSocketAddress) server.address(), 1))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("GOAWAY 3: ");
    } finally {
      server.close(Duration.ofSeconds(5));
    }
  }
}
