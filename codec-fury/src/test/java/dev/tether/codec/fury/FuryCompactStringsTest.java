package dev.tether.codec.fury;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.testing.ContractCodecs;
import dev.tether.testing.ContractTypes.Text;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A peer running with {@code -XX:-CompactStrings}, in a JVM of its own, and this one (with compact
 * strings, the default): Fory 1.6 would hand each side strings of the other's that are wrong on it,
 * silently (unequal to their own text here, half as long there). Each side now refuses those,
 * naming the setting, and reads the strings both settings write alike: those that need UTF-16, and
 * the empty string there.
 */
class FuryCompactStringsTest {
  /** Latin-1 text, which the two settings write differently. */
  private static final List<String> LATIN1 = List.of("a", "hello", "caf\u00e9", "x".repeat(300));

  /** Text that needs UTF-16, written alike. */
  private static final List<String> UTF16 =
      List.of("\u4e00", "mixed \u00e9 and \u4e00", "\ud83d\ude00", "lone \ud800 half");

  /** Every text, as both sides list them. */
  private static final List<String> TEXTS = texts();

  private static final Codec CODEC = ContractCodecs.codec("fury");

  private static List<String> texts() {
    List<String> texts = new ArrayList<>(LATIN1);
    texts.addAll(UTF16);
    texts.add("");
    return List.copyOf(texts);
  }

  @Test
  void eachSideReadsWhatBothWriteAlikeAndRefusesTheRest() throws Exception {
    assertThat(StringCheck.COMPACT_STRINGS).as("this JVM has compact strings").isTrue();
    List<String> texts = TEXTS;
    List<String> lines = new ArrayList<>();
    for (String text : texts) {
      lines.add(
          lines.size()
              + " "
              + HexFormat.of().formatHex(ContractCodecs.encode(CODEC, new Text(text, null))));
    }
    List<String> there = peer(lines);
    for (int i = 0; i < texts.size(); i++) {
      String text = texts.get(i);
      String answer = there.get(2 * i + 1);
      if (LATIN1.contains(text)) {
        assertThat(answer)
            .as("%s read there", text)
            .startsWith("refused ")
            .contains("runs with -XX:-CompactStrings");
      } else {
        assertThat(answer).as("%s read there", text).isEqualTo("read " + hex(text));
      }
    }

    for (int i = 0; i < texts.size(); i++) {
      String text = texts.get(i);
      ByteBuffer written = ByteBuffer.wrap(HexFormat.of().parseHex(there.get(2 * i)));
      if (LATIN1.contains(text) || text.isEmpty()) {
        assertThatThrownBy(() -> CODEC.decode(Text.class, written))
            .as("%s written there", text)
            .isExactlyInstanceOf(CodecException.class)
            .hasMessageContaining("A peer running with -XX:-CompactStrings writes strings so");
      } else {
        assertThat(CODEC.decode(Text.class, written)).isEqualTo(new Text(text, null));
      }
    }
  }

  private static String hex(String text) {
    return HexFormat.of().formatHex(text.getBytes(StandardCharsets.UTF_16BE));
  }

  /**
   * Starts the peer, gives it each of {@code payloads} to decode, and returns two lines for each
   * (its own encoding of the same message, then what it read), in their order.
   */
  private static List<String> peer(List<String> payloads) throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process process =
        new ProcessBuilder(
                java,
                "-XX:-CompactStrings",
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                Peer.class.getName())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    List<String> answers = new ArrayList<>();
    try (PrintStream in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
        BufferedReader out =
            new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String payload : payloads) {
        in.println(payload);
        answers.add(out.readLine());
        answers.add(out.readLine());
      }
    } finally {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
    assertThat(answers).as("the peer's answers").doesNotContainNull();
    assertThat(process.exitValue()).isZero();
    return answers;
  }

  /**
   * The other peer, run with {@code -XX:-CompactStrings}: for each line {@code <index> <payload in
   * hex>} read from standard input, two on standard output: its own encoding of text {@code index},
   * then {@code read <the text's UTF-16 in hex>} or {@code refused <why>}.
   */
  public static final class Peer {
    private Peer() {}

    public static void main(String[] args) throws IOException {
      if (StringCheck.COMPACT_STRINGS) {
        throw new IllegalStateException("run with -XX:-CompactStrings");
      }
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        String[] parts = line.split(" ", 2);
        String answer;
        try {
          Text read = CODEC.decode(Text.class, ByteBuffer.wrap(HexFormat.of().parseHex(parts[1])));
          answer = "read " + hex(read.value());
        } catch (CodecException e) {
          answer = "refused " + e.getMessage();
        }
        Text same = new Text(TEXTS.get(Integer.parseInt(parts[0])), null);
        System.out.println(HexFormat.of().formatHex(ContractCodecs.encode(CODEC, same)));
        System.out.println(answer);
      }
    }
  }
}
