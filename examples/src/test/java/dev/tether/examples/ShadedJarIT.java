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
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs {@code tether-examples.jar} the way the README does ({@code java -jar}), with the JDK that
 * runs the build, once per codec: a codec that cannot load from the shaded jar on this JDK (Fory's
 * multi-release classes on JDK 25) fails here.
 */
class ShadedJarIT {
  private static final Path JAR = Path.of("target", "tether-examples.jar");
  private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

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

  @Test
  void demoRunsOverMutualTls() throws Exception {
    Path out = dir.resolve("demo.out");
    Process demo =
        java("demo", "--mtls").redirectErrorStream(true).redirectOutput(out.toFile()).start();
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
