package dev.tether.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.Server;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code echo-client --reconnect} and {@code chaos} run for real, through connection resets. */
@Timeout(120)
class ChaosTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String output() {
    return out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void echoClientReconnectStreamsEveryEchoExactlyOnceThroughAProxyThatResets() throws Exception {
    try (Server<Echo, Echo> server =
            EchoServer.start(new InetSocketAddress("127.0.0.1", 0), List.of(), "test", e -> {});
        // also cut by volume: 20,000 echoes may finish before a random wait of up to 80 ms ends
        ChaosProxy proxy = new ChaosProxy(server.address(), 40, 128 * 1024)) {
      int status =
          run(
              "echo-client",
              "--port",
              Integer.toString(proxy.address().getPort()),
              "--count",
              "20000",
              "--reconnect");

      assertThat(status).as(output()).isZero();
      assertThat(out.toString(StandardCharsets.UTF_8).strip())
          .matches("sent 20000 received 20000 duplicated 0 missing 0 out-of-order 0 resumed \\d+");
      assertThat(proxy.resets()).as("the proxy did reset the connection").isPositive();
    }
  }

  /**
   * Exit 0 also means that the server ended the client's session when the client closed: no session
   * is left behind by a handshake the proxy cut, nor by a close between sockets.
   */
  @Test
  void chaosEndsWithATallyOfEveryEchoExactlyOnce() {
    int status = run("chaos", "--count", "20000", "--reset-ms", "5");

    assertThat(status).as(output()).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .containsPattern("sent 20000 received 20000 duplicated 0 missing 0 out-of-order 0");
  }

  @Test
  void aBadFlagNamesItAndExitsTwo() {
    assertThat(run("chaos", "--resets", "1")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown flag --resets");
  }
}
