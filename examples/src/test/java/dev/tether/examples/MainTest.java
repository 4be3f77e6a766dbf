package dev.tether.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The command line: dispatch, usage errors and exit statuses, run in this JVM. */
class MainTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void noCommandPrintsUsageAndExitsTwo() {
    assertThat(run()).isEqualTo(2);
    assertThat(err()).contains("no command given", "usage: java -jar tether-examples.jar");
    assertThat(out()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "echo-client --verbose 1              | unknown flag --verbose",
        "echo-client --verbose                | unknown flag --verbose",
        "echo-client --port                   | --port needs a value",
        "echo-client --port 70000             | --port must be an integer in 1..65535, was '70000'",
        "echo-client --port=x                 | --port must be an integer in 1..65535, was 'x'",
        "echo-client --count 1 --count 2      | --count given twice",
        "echo-client 7878                     | unexpected argument '7878'",
        "echo-client --codecs nosuchcodec     | unknown codec 'nosuchcodec'; available: [",
        "echo-server --port -1                | --port must be an integer in 0..65535, was '-1'",
        "demo --port 1                        | unknown flag --port",
        "demo --transport quic                | --transport must be tcp or uds, was 'quic'",
        "rpc --concurrency 0                  | --concurrency must be an integer in 1..10000",
        "chat --verbose 1                     | unknown flag --verbose",
        "partitioned --servers 0              | --servers must be an integer in 1..64",
        "peers --codecs nosuchcodec           | unknown codec 'nosuchcodec'",
        "single-client --records x            | --records must be an integer",
        "demo --tls=1                         | --tls takes no value",
        "echo-server --mtls                   | --mtls needs the CA of the clients",
        "echo-server --key a.key --cert no.crt | cannot read no.crt",
        "echo-client --tls --tls              | --tls given twice",
        "echo-client --pin abc                | --pin must be a SHA-256 fingerprint",
        "echo-client --key k.pem              | --key and --cert go together",
        "echo-client --pin abababababababababababababababababababababababababababababababab --trust ca.pem | --pin trusts one certificate",
      })
  void aBadFlagPrintsOneLineNamingItAndExitsTwo(String commandLine, String reason) {
    String command = commandLine.split(" ")[0];

    assertThat(run(commandLine.split(" "))).isEqualTo(2);

    assertThat(err().lines())
        .singleElement()
        .asString()
        .startsWith("tether-examples " + command + ": ")
        .contains(reason)
        .endsWith("(see " + command + " --help)");
    assertThat(out()).isEmpty();
  }

  @Test
  void anUnknownCommandPrintsTheCommandsAndExitsTwo() {
    assertThat(run("serve")).isEqualTo(2);
    assertThat(err()).contains("unknown command 'serve'", "usage: java -jar tether-examples.jar");
    assertThat(out()).isEmpty();
  }

  static Stream<String> commands() {
    return Main.COMMANDS.keySet().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("commands")
  void helpOfEachCommandPrintsItsUsageOnStdoutAndExitsZero(String command) {
    assertThat(run(command, "--help")).isZero();

    assertThat(out())
        .startsWith("usage: java -jar tether-examples.jar " + command)
        .contains(Main.COMMANDS.get(command).summary())
        .contains("exit status: 0 success, 1 failure, 2 bad command line");
    for (String flag : Main.COMMANDS.get(command).flags()) {
      assertThat(out()).contains("--" + flag + " ");
    }
    assertThat(err()).isEmpty();
  }

  @Test
  void helpListsEveryCommandOnStdoutAndExitsZero() {
    assertThat(run("help")).isZero();
    assertThat(out()).contains(Main.COMMANDS.keySet());
    assertThat(err()).isEmpty();
  }

  @Test
  void echoClientReportsRefusedConnectionAndExitsOne() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort(); // free now, and nothing listens once the socket is closed
    }

    assertThat(run("echo-client", "--port", Integer.toString(port))).isEqualTo(1);
    assertThat(err()).startsWith("echo-client: ").contains("127.0.0.1:" + port);
    assertThat(out()).isEmpty();
  }

  @Test
  void echoServerReportsPortInUseAndExitsOne() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String port = Integer.toString(taken.getLocalPort());

      int status =
          assertTimeoutPreemptively(
              Duration.ofSeconds(10), () -> run("echo-server", "--port", port));

      assertThat(status).isEqualTo(1);
      assertThat(err()).startsWith("tether-examples echo-server: ").contains(port);
      assertThat(out()).isEmpty();
    }
  }
}
