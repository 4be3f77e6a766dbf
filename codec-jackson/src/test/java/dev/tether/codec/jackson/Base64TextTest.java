package dev.tether.codec.jackson;

import static dev.tether.codec.jackson.Codecs.JSON;
import static dev.tether.codec.jackson.Codecs.decode;
import static dev.tether.codec.jackson.Codecs.encode;
import static dev.tether.codec.jackson.Codecs.encodePlain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.codec.CodecException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The json codec writes a {@code byte[]} with the JDK's base64 encoder ({@link
 * LimitedGenerator#writeBinary}), and the text is exactly Jackson's, byte for byte, wherever the
 * array stands (a property, an array element, a map value, beside other values) and whatever its
 * length, including lengths around the buffer the generator keeps; one whose text is longer than a
 * reader takes is refused on encode.
 */
class Base64TextTest {
  record Blob(byte[] data) {}

  /** Components in alphabetical order, the order a plain Jackson 3 mapper writes them in. */
  record Many(byte[] a, List<byte[]> b, Map<String, byte[]> c, byte[] d, String e) {}

  private static final int KEPT_INPUT = LimitedGenerator.KEPT_BASE64_BYTES / 4 * 3;

  @Test
  void everyLengthIsWrittenAsJacksonWritesIt() {
    SplittableRandom random = new SplittableRandom(3);
    List<Integer> lengths = new ArrayList<>();
    for (int length = 0; length <= 300; length++) {
      lengths.add(length);
    }
    for (int length = KEPT_INPUT - 4; length <= KEPT_INPUT + 4; length++) {
      lengths.add(length);
    }
    lengths.addAll(List.of(1_000, 65_537, 1 << 20, 300, 7, KEPT_INPUT + 3, 5, 0));
    for (int length : lengths) { // ups and downs: the kept buffer grows, is reused, is bypassed
      byte[] bytes = new byte[length];
      random.nextBytes(bytes);
      byte[] written = encode(JSON, new Blob(bytes));
      assertThat(written).as("%d bytes", length).isEqualTo(encodePlain(JSON, new Blob(bytes)));
      assertThat(decode(JSON, Blob.class, written).data()).isEqualTo(bytes);
    }
  }

  @Test
  void arraysAmongOtherValuesAreSeparatedAsJacksonSeparatesThem() {
    SplittableRandom random = new SplittableRandom(5);
    for (int round = 0; round < 200; round++) {
      List<byte[]> list = new ArrayList<>();
      Map<String, byte[]> map = new LinkedHashMap<>();
      for (int i = random.nextInt(0, 4); i > 0; i--) {
        list.add(bytes(random));
        map.put("k" + i, bytes(random));
      }
      Many many =
          new Many(
              bytes(random), list, map, random.nextBoolean() ? null : bytes(random), "e/" + round);
      byte[] written = encode(JSON, many);
      assertThat(new String(written, StandardCharsets.UTF_8))
          .isEqualTo(new String(encodePlain(JSON, many), StandardCharsets.UTF_8));
      Many back = decode(JSON, Many.class, written);
      assertThat(back.a()).isEqualTo(many.a());
      assertThat(back.b()).containsExactlyElementsOf(many.b());
      assertThat(back.c()).containsExactlyEntriesOf(many.c());
      assertThat(back.d()).isEqualTo(many.d());
    }
  }

  @Test
  void anArrayWhoseTextTheReaderWouldRefuseIsRefusedOnEncode() {
    int limit = JacksonMappers.MAX_STRING_LENGTH;
    byte[] largest = new byte[limit / 4 * 3]; // exactly the limit in base64 characters
    assertThat(decode(JSON, Blob.class, encode(JSON, new Blob(largest))).data()).isEqualTo(largest);
    byte[] tooLong = new byte[largest.length + 1];
    assertThatThrownBy(() -> encode(JSON, new Blob(tooLong)))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("a byte[] of " + tooLong.length + " bytes is " + (limit + 4))
        .hasMessageContaining("characters of base64, longer than the limit of " + limit);
  }

  private static byte[] bytes(SplittableRandom random) {
    byte[] bytes = new byte[random.nextInt(0, 40)];
    random.nextBytes(bytes);
    return bytes;
  }
}
