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
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs {@code tether-examples.jar} the way the README does ({@code java -jar}), with the JDK that
 * runs the build: the echo programs once per codec (a codec that cannot load from the shaded jar on
 * this JDK, such as Fory's multi-release classes on JDK 25, fails here), every example by the
 * command the README gives for it, and the demo with a short duration.
 */
class ShadedJarIT {
  private static final Path JAR = Path.of("target", "tether-examples.jar");
  private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

  /** A command as the README writes it, in backticks, with no flags. */
  private static final Pattern README_COMMAND =
      Pattern.compile("`java -jar examples/target/tether-examples\\.jar ([a-z-]+)`");

  @TempDir Path dir;
  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void killLeftovers() {
    started.forEach(Process::destroyForcibly);
  }

  @Test
  void theJarIsMultiRelease() throws IOException {
    try (JarFile jar = new JarFile(JAR.toFile())) {
      assertThat(jar.getManifest().getMainAttributes().getValue("Multi-Release")).isEqualTo("true");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"json", "cbor", "kryo", "fury"})
  void echoClientTalksToEchoServerFromTheJar(String codec) throws Exception {
    Path serverOut = dir.resolve("server.out");
    Process server =
        java("echo-server", "--port", "0", "--codecs", codec)
            .redirectOutput(serverOut.toFile())
            .redirectError(dir.resolve("server.err").toFile())
            .start();
    started.add(server);
    String line =
        await()
            .atMost(Duration.ofSeconds(30))
            .failFast("echo-server exited", () -> !server.isAlive())
            .until(() -> Files.readString(serverOut), text -> text.endsWith("\n"))
            .strip();
    Matcher listening = LISTENING.matcher(line);
    assertThat(listening.matches()).as(line).isTrue();

    Path clientOut = dir.resolve("client.out");
    Path clientErr = dir.resolve("client.err");
    Process client =
        java("echo-client", "--port", listening.group(1), "--codecs", codec, "--count", "2")
            .redirectOutput(clientOut.toFile())
            .redirectError(clientErr.toFile())
            .start();
    started.add(client);
    assertThat(client.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(client.exitValue())
        .as("client on codec %s: %s %s", codec, read(clientOut), read(clientErr))
        .isZero();
    assertThat(read(clientOut)).contains("codec " + codec).contains("closed gracefully");
  }

  /** The commands in the README's table of examples that run on their own: no server needed. */
  static Stream<String> readmeExamples() throws IOException {
    List<String> commands = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("..", "README.md"), StandardCharsets.UTF_8)) {
      Matcher command = README_COMMAND.matcher(line);
      while (line.startsWith("| ") && command.find()) { // the rows of a table
        if (!Set.of("echo-server", "echo-client").contains(command.group(1))) {
          commands.add(command.group(1));
        }
      }
    }
    return commands.stream().distinct();
  }

  @Test
  void theReadmeHasACommandForEveryExample() throws IOException {
    assertThat(readmeExamples())
        .containsExactlyInAnyOrder("rpc", "chat", "partitioned", "peers", "single-client", "chaos");
  }

  /**
   * The README's examples that run here as the README gives them. {@code chaos} streams 100,000
   * echoes through random resets for half a minute or more; {@link ChaosTest} runs it at a size fit
   * for a build.
   */
  static Stream<String> readmeExamplesToRun() throws IOException {
    return readmeExamples().filter(example -> !example.equals("chaos"));
  }

  @ParameterizedTest
  @MethodSource("readmeExamplesToRun")
  void eachExampleRunsByItsReadmeCommand(String example) throws Exception {
    Path out = dir.resolve(example + ".out");
    Path err = dir.resolve(example + ".err");
    Process process =
        java(example).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    started.add(process);

    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("%s finished in time", example).isTrue();
    assertThat(process.exitValue())
        .as("%s exit status; stdout: %s stderr: %s", example, read(out), read(err))
        .isZero();
    assertThat(read(out)).isNotBlank();
  }

  @Test
  void theDemoPrintsTheCodecTableAndWritesTheChart() throws Exception {
    Path chart = dir.resolve("codecs.png");
    Path out = dir.resolve("demo.out");
    Path err = dir.resolve("demo.err");
    Process demo =
        java("demo", "--duration-ms", "100", "--chart", chart.toString())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    started.add(demo);

    assertThat(demo.waitFor(120, TimeUnit.SECONDS)).as("the demo finished in time").isTrue();
    String output = read(out);
    assertThat(demo.exitValue()).as("demo; stdout: %s stderr: %s", output, read(err)).isZero();
    assertThat(output.lines())
        .contains("[client] closed gracefully", "[demo]   done")
        .anyMatch(l -> l.matches("codec +msgs/s +MB/s +rtt p50 +rtt p99 +bytes/msg +carries"))
        .anyMatch(l -> l.startsWith("[codecs] chart written to " + chart.toAbsolutePath()));
    for (String codec : List.of("bytes", "cbor", "fury", "json", "kryo")) {
      assertThat(output.lines())
          .as("a row for %s", codec)
          .anyMatch(l -> l.matches(codec + " +[0-9.]+[kM]? +[0-9.]+ +[0-9.]+ (us|ms) .*"));
    }
    byte[] png = Files.readAllBytes(chart);
    assertThat(png).startsWith(0x89, 'P', 'N', 'G');
    assertThat(png.length).isGreaterThan(10_000);
  }

  @Test
  void demoRunsOverMutualTls() throws Exception {
    Path out = dir.resolve("demo-mtls.out");
    Process demo =
        java(
                "demo",
                "--mtls",
                "--duration-ms",
                "50",
                "--codecs",
                "json",
                "--chart",
                dir.resolve("mtls.png").toString())
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    started.add(demo);

    assertThat(demo.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(demo.exitValue()).as(read(out)).isZero();
    assertThat(read(out))
        .contains("[demo]   mutual TLS: the client presents a throwaway certificate too")
        .contains("[server] client 127.0.0.1:")
        .contains("certificate CN=echo-client")
        .contains("[client] tls      TLSv1.3, server certificate CN=tether-echo")
        .contains("[demo]   done");
  }

  private static ProcessBuilder java(String... args) {
    List<String> command = new ArrayList<>();
    command.add(
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.add("-jar");
    command.add(JAR.toString());
    command.addAll(List.of(args));
    return new ProcessBuilder(command);
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }
}
