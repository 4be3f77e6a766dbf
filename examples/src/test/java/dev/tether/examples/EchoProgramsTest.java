package dev.tether.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs echo-server and echo-client as real, separate JVMs, the way a user runs them. */
class EchoProgramsTest {
  /** Generous: a cold JVM on a loaded CI machine can take seconds to start. */
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
  private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

  @TempDir Path dir;

  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void killLeftovers() {
    started.forEach(Process::destroyForcibly);
  }

  @Test
  void echoClientExchangesWithEchoServerAndServerStopsWithStatusZeroOnSigterm() throws Exception {
    Path serverOut = dir.resolve("server.stdout");
    Path serverLog = dir.resolve("server.stderr");
    Process server =
        javaMain("echo-server", "--port", "0")
            .redirectOutput(serverOut.toFile())
            .redirectError(serverLog.toFile())
            .start();
    started.add(server);

    String firstLine =
        await()
            .atMost(START_TIMEOUT)
            .pollInterval(Duration.ofMillis(50))
            .failFast("echo-server exited", () -> !server.isAlive())
            .until(() -> read(serverOut), text -> text.endsWith("\n"))
            .strip();
    Matcher listening = LISTENING.matcher(firstLine);
    assertThat(listening.matches()).as("'%s' matches %s", firstLine, LISTENING).isTrue();
    int port = Integer.parseInt(listening.group(1));

    Path clientOut = dir.resolve("client.stdout");
    Path clientErr = dir.resolve("client.stderr");
    Process client =
        javaMain("echo-client", "--port", Integer.toString(port), "--count", "3")
            .redirectOutput(clientOut.toFile())
            .redirectError(clientErr.toFile())
            .start();
    started.add(client);
    assertThat(client.waitFor(CLIENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
        .as("client finished within %s", CLIENT_TIMEOUT)
        .isTrue();
    String output = read(clientOut);
    assertThat(client.exitValue())
        .as("client exit; stdout: %s stderr: %s", output, read(clientErr))
        .isZero();
    assertThat(output.lines())
        .first()
        .asString()
        .startsWith("connected to 127.0.0.1:" + port + " (server 'echo'), codec ");
    assertThat(output.lines())
        .contains(
            "echo     Echo[text=hello 1, seq=1]",
            "echo     Echo[text=hello 2, seq=2]",
            "echo     Echo[text=hello 3, seq=3]",
            "closed gracefully")
        .anyMatch(
            line ->
                line.startsWith(
                    "request  Echo[text=ping, seq=4] -> response Echo[text=ping, seq=4] in "))
        .anyMatch(
            line ->
                line.startsWith(
                        "request  Echo[text=fail:failing on purpose, seq=5] -> failed as expected")
                    && line.contains("HANDLER_FAILED")
                    && line.endsWith("failing on purpose"))
        .anyMatch(line -> line.matches("rtt {6}\\d+\\.\\d{3} ms \\(heartbeat PING/PONG\\)"));

    server.destroy(); // SIGTERM
    await().atMost(STOP_TIMEOUT).pollInterval(Duration.ofMillis(50)).until(() -> !server.isAlive());
    assertThat(server.exitValue()).as("server exit; stderr: %s", read(serverLog)).isZero();
    assertThat(read(serverOut)).as("server stdout: one line only").isEqualTo(firstLine + "\n");
    assertThat(read(serverLog)).contains("stopped");
  }

  @Test
  void echoServerWithTlsPrintsItsFingerprintAndAClientPinningItEchoes() throws Exception {
    Path serverOut = dir.resolve("server.stdout");
    Path serverLog = dir.resolve("server.stderr");
    Process server =
        javaMain("echo-server", "--port", "0", "--tls")
            .redirectOutput(serverOut.toFile())
            .redirectError(serverLog.toFile())
            .start();
    started.add(server);

    List<String> lines =
        await()
            .atMost(START_TIMEOUT)
            .pollInterval(Duration.ofMillis(50))
            .failFast("echo-server exited", () -> !server.isAlive())
            .until(() -> read(serverOut).lines().toList(), l -> l.size() == 2);
    assertThat(lines.get(0)).matches("certificate sha256 ([0-9A-F]{2}:){31}[0-9A-F]{2}");
    String pin = lines.get(0).substring("certificate sha256 ".length());
    Matcher listening = LISTENING.matcher(lines.get(1));
    assertThat(listening.matches()).as(lines.get(1)).isTrue();

    Path clientOut = dir.resolve("client.stdout");
    Path clientErr = dir.resolve("client.stderr");
    Process client =
        javaMain("echo-client", "--port", listening.group(1), "--tls", "--pin", pin)
            .redirectOutput(clientOut.toFile())
            .redirectError(clientErr.toFile())
            .start();
    started.add(client);
    assertThat(client.waitFor(CLIENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    assertThat(client.exitValue())
        .as("client exit; stdout: %s stderr: %s", read(clientOut), read(clientErr))
        .isZero();
    assertThat(read(clientOut))
        .contains("tls      TLSv1.3, server certificate CN=tether-echo, sha256 " + pin)
        .contains("closed gracefully");

    server.destroy();
    await().atMost(STOP_TIMEOUT).pollInterval(Duration.ofMillis(50)).until(() -> !server.isAlive());
    assertThat(server.exitValue()).as("server exit; stderr: %s", read(serverLog)).isZero();
  }

  /**
   * A reconnecting client started before its server says it is waiting for it (rather than sitting
   * silent, which looks like a hang), and streams once the server is up.
   */
  @Test
  void aReconnectingEchoClientStartedBeforeItsServerSaysSoAndThenStreams() throws Exception {
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      port = free.getLocalPort();
    }
    Path clientOut = dir.resolve("client.stdout");
    Path clientErr = dir.resolve("client.stderr");
    Process client =
        javaMain("echo-client", "--port", Integer.toString(port), "--reconnect", "--count", "1000")
            .redirectOutput(clientOut.toFile())
            .redirectError(clientErr.toFile())
            .start();
    started.add(client);
    await()
        .atMost(START_TIMEOUT)
        .pollInterval(Duration.ofMillis(50))
        .failFast("echo-client exited", () -> !client.isAlive())
        .until(() -> read(clientErr), err -> err.contains("retrying for up to 60 s"));
    assertThat(read(clientErr)).contains("cannot connect to 127.0.0.1:" + port);

    Process server =
        javaMain("echo-server", "--port", Integer.toString(port))
            .redirectOutput(dir.resolve("server.stdout").toFile())
            .redirectError(dir.resolve("server.stderr").toFile())
            .start();
    started.add(server);
    assertThat(client.waitFor(CLIENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    assertThat(client.exitValue()).as("stderr: %s", read(clientErr)).isZero();
    assertThat(read(clientOut))
        .startsWith("sent 1000 received 1000 duplicated 0 missing 0 out-of-order 0");
  }

  private static ProcessBuilder javaMain(String... args) {
    List<String> command = new ArrayList<>();
    command.add(
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.addAll(List.of(args));
    return new ProcessBuilder(command);
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }
}
