package dev.tether.codec.jackson;

import static dev.tether.codec.jackson.Codecs.JSON;
import static dev.tether.codec.jackson.Codecs.decode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.codec.CodecException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The json codec's own base64 reader ({@link Base64Bytes}) gives exactly what Jackson's gives: the
 * same bytes for every string Jackson accepts, and a refusal for every string it refuses, over
 * canonical encodings and over strings damaged in every way the fast path must hand back.
 */
class Base64BytesTest {
  record Blob(byte[] data) {}

  /** Jackson alone, with the settings that touch a byte[]: its default variant and deserializer. */
  private static final JsonMapper JACKSON = JsonMapper.builder().build();

  @Test
  void everyCanonicalEncodingReadsBackAsItsBytes() {
    SplittableRandom random = new SplittableRandom(7);
    for (int length = 0; length <= 300; length++) {
      byte[] bytes = new byte[length];
      random.nextBytes(bytes);
      String text = Base64.getEncoder().encodeToString(bytes);
      assertThat(read(text)).as("%d bytes: %s", length, text).isEqualTo(bytes);
      if (length > 0) {
        assertThat(Base64Bytes.decode(text.toCharArray(), 0, text.length()))
            .as("the fast path takes %s", text)
            .isEqualTo(bytes);
        assertThat(Base64Bytes.decode(inTheMiddle(text), 3, text.length()))
            .as("the fast path takes %s as bytes", text)
            .isEqualTo(bytes);
      }
      assertSameAsJackson(text);
    }
  }

  @Test
  void longEncodingsReadBackAsTheirBytesOnTheJdkPath() {
    SplittableRandom random = new SplittableRandom(13);
    int threshold = Base64Bytes.JDK_FROM_CHARS / 4 * 3; // bytes whose text is exactly that long
    for (int length : new int[] {threshold - 2, threshold - 1, threshold, threshold + 1, 65_536}) {
      byte[] bytes = new byte[length];
      random.nextBytes(bytes);
      String text = Base64.getEncoder().encodeToString(bytes);
      assertThat(Base64Bytes.decode(text.toCharArray(), 0, text.length())).isEqualTo(bytes);
      assertThat(Base64Bytes.decode(inTheMiddle(text), 3, text.length())).isEqualTo(bytes);
      assertThat(read(text)).as("%d bytes", length).isEqualTo(bytes);
      assertSameAsJackson(text);
    }
  }

  @Test
  void damagedLongStringsAreReadOrRefusedExactlyAsJacksonDoes() {
    SplittableRandom random = new SplittableRandom(17);
    int threshold = Base64Bytes.JDK_FROM_CHARS / 4 * 3;
    for (int i = 0; i < 1_000; i++) {
      byte[] bytes = new byte[random.nextInt(threshold - 3, threshold + 40)];
      random.nextBytes(bytes);
      assertSameAsJackson(damage(Base64.getEncoder().encodeToString(bytes), random));
    }
  }

  @Test
  void damagedStringsAreReadOrRefusedExactlyAsJacksonDoes() {
    SplittableRandom random = new SplittableRandom(11);
    List<String> cases = new ArrayList<>();
    String[] fixed = {
      "",
      "=",
      "==",
      "A",
      "AA",
      "AAA",
      "AA=",
      "A===",
      "====",
      "AA==",
      "AAA=",
      "QR==",
      "QUJ=",
      "QUI=",
      "QUJD",
      "QUJD====",
      "QU==QUJD",
      "QUJ=QUJD",
      " QUJD",
      "QUJD ",
      "QU JD",
      "QUJ\tD",
      "QUJ\\nD",
      "QUJD\\u0041QUI=",
      "\\u0051UJD",
      "QUJ-",
      "QUJ_",
      "QUJ.",
      "QUJ\u00e9",
      "QUJ\u0100",
      "QUJ\u00ff",
      "\\u0000UJD",
      "QUJDQQ",
      "QUJDQ",
      "QUJDQUI",
      "QUJD=QUI",
      "Q=JD",
    };
    cases.addAll(List.of(fixed));
    for (int i = 0; i < 20_000; i++) {
      byte[] bytes = new byte[random.nextInt(0, 40)];
      random.nextBytes(bytes);
      cases.add(damage(Base64.getEncoder().encodeToString(bytes), random));
    }
    for (String text : cases) {
      assertSameAsJackson(text);
      if (text.chars().allMatch(c -> c < 256)) {
        assertThat(Base64Bytes.decode(inTheMiddle(text), 3, text.length()))
            .as("bytes and characters of %s read alike", text)
            .isEqualTo(Base64Bytes.decode(text.toCharArray(), 0, text.length()));
      }
    }
  }

  /** The text's bytes with three bytes before them and three after, as in a payload. */
  private static byte[] inTheMiddle(String text) {
    return ("{\"[" + text + "]\"}").getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * Up to four edits: noise inserted (a character outside the alphabet, white space, an escape, a
   * character beyond ASCII or beyond Latin-1), a character deleted or replaced, a {@code =} added.
   */
  private static String damage(String canonical, SplittableRandom random) {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    String[] noise = {"=", " ", "\\t", "\\n", "-", "_", ".", "!", "\u00e9", "\u0100", "\\u0041"};
    StringBuilder text = new StringBuilder(canonical);
    int damage = random.nextInt(0, 5);
    for (int d = 0; d < damage; d++) {
      int at = random.nextInt(0, text.length() + 1);
      switch (random.nextInt(0, 4)) {
        case 0 -> text.insert(at, noise[random.nextInt(noise.length)]);
        case 1 -> {
          if (at < text.length()) {
            text.deleteCharAt(at);
          }
        }
        case 2 -> {
          if (at < text.length()) {
            text.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
          }
        }
        default -> text.insert(at, '=');
      }
    }
    return text.toString();
  }

  @Test
  void anArrayOfNumbersAndNullStillGoToJackson() {
    assertThat(decode(JSON, Blob.class, utf8("{\"data\":[1,2,255]}")).data())
        .containsExactly(1, 2, -1);
    assertThat(decode(JSON, Blob.class, utf8("{\"data\":null}")).data()).isNull();
  }

  @Test
  void aRawControlCharacterInTheStringIsRefusedAsTheInvalidJsonItIs() {
    // Jackson's own base64 reader skips it without the check its string reader makes; a tab
    // written as \t is valid JSON and read as Jackson reads it (white space, skipped between units)
    assertThat(JACKSON.readValue("{\"data\":\"QUJD\tQUI=\"}", Blob.class).data())
        .isEqualTo("ABCAB".getBytes(StandardCharsets.US_ASCII));
    assertThatThrownBy(() -> read("QUJD\tQUI="))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("CTRL-CHAR");
    assertThat(read("QUJD\\tQUI=")).isEqualTo(read("QUJDQUI="));
  }

  @Test
  void aRefusalNamesTheBase64Problem() {
    assertThatThrownBy(() -> read("QUJ$"))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("base64");
  }

  private static void assertSameAsJackson(String escapedText) {
    String json = "{\"data\":\"" + escapedText + "\"}";
    byte[] expected;
    try {
      expected = JACKSON.readValue(json, Blob.class).data();
    } catch (RuntimeException jacksonRefused) {
      assertThatThrownBy(() -> read(escapedText))
          .as("Jackson refuses %s (%s)", json, jacksonRefused.getMessage())
          .isInstanceOf(CodecException.class);
      return;
    }
    assertThat(read(escapedText)).as("Jackson reads %s", json).isEqualTo(expected);
  }

  private static byte[] read(String escapedText) {
    return decode(JSON, Blob.class, utf8("{\"data\":\"" + escapedText + "\"}")).data();
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
