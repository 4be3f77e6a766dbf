package dev.tether.codec.jackson;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecLimits;
import dev.tether.codec.jackson.PlainRecordReaderTest.Checked;
import dev.tether.codec.jackson.PlainRecordReaderTest.Every;
import dev.tether.codec.jackson.PlainRecordReaderTest.Named;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.ObjectMapper;

/**
 * Fuzzes the {@code json} codec's reused parser ({@link ReusedParser}, Jackson's non-blocking
 * parser fed payload after payload) and its {@link PlainRecordReader} (the tokens' reader and the
 * scan of the bytes) against Jackson's own reader: for any payload, the codec decodes the value
 * that Jackson's reader decodes, or refuses what it refuses, and what the scan takes is that value.
 * The first input byte picks the type (plain records, and one that Jackson reads on the reused
 * parser), the rest is the payload; the seeds under {@code JsonReusedParserFuzzTestInputs} are
 * valid payloads, so that mutations stay near them. {@code scripts/fuzz.sh reused <minutes>} fuzzes
 * for real.
 */
class JsonReusedParserFuzzTest {
  /** Not plain: read by Jackson on the reused parser. */
  record Mixed(String label, List<String> tags, Map<String, Object> extra, Every every) {}

  /** The first three are PlainRecordReaderTest's, which checks that they are read plainly. */
  private static final List<Class<?>> TYPES =
      List.of(Every.class, Named.class, Checked.class, Mixed.class);

  private static final ObjectMapper MAPPER = JacksonMappers.json(CodecLimits.defaults());
  private static final Codec CODEC = new JacksonCodec("json", MAPPER);

  /**
   * Each plain type's reader, whose scan of the bytes is also called directly: the codec stops
   * scanning a type after {@link ReusedParser.TypeReader#PLAIN_MISSES} payloads it gives up, which
   * mutated input soon reaches.
   */
  private static final Map<Class<?>, PlainRecordReader> SCANNERS =
      Map.of(
          Every.class, PlainRecordReader.of(MAPPER, Every.class),
          Named.class, PlainRecordReader.of(MAPPER, Named.class),
          Checked.class, PlainRecordReader.of(MAPPER, Checked.class));

  /** Writes both values for comparison: plain Jackson, without the codec's checks on write. */
  private static final ObjectMapper WRITER = new ObjectMapper();

  static {
    // a type's first decode is by the codec's own parser; from the second on, the reused one's
    decode(
        Every.class,
        MAPPER.writeValueAsBytes(
            new Every(1, 2L, 3, 4, true, false, 0.5, 1.5, "x", new byte[] {1})));
    decode(Named.class, "{\"n\":\"a\",\"value\":1}".getBytes(StandardCharsets.UTF_8));
    decode(Checked.class, "{\"low\":1,\"high\":2}".getBytes(StandardCharsets.UTF_8));
    decode(
        Mixed.class,
        "{\"label\":\"m\",\"tags\":[],\"extra\":{},\"every\":null}"
            .getBytes(StandardCharsets.UTF_8));
  }

  @FuzzTest(maxDuration = "10m")
  void decodesAsJacksonDoes(byte[] input) {
    if (input.length == 0) {
      return;
    }
    Class<?> type = TYPES.get((input[0] & 0xff) % TYPES.size());
    byte[] payload = Arrays.copyOfRange(input, 1, input.length);
    String expected;
    try {
      Object value = MAPPER.readerFor(type).readValue(payload);
      // the codec refuses a payload that is the literal null: a message is never null
      expected = value == null ? null : WRITER.writeValueAsString(value);
    } catch (RuntimeException refused) {
      expected = null;
    }
    String actual;
    try {
      actual = WRITER.writeValueAsString(decode(type, payload));
    } catch (CodecException refused) {
      actual = null;
    }
    assertThat(actual).as(new String(payload, StandardCharsets.UTF_8)).isEqualTo(expected);
    PlainRecordReader scanner = SCANNERS.get(type);
    if (scanner != null && ReusedParser.mayRead(payload, 0, payload.length)) {
      Object scanned = scanner.scan(payload, 0, payload.length);
      if (scanned == PlainRecordReader.CREATOR_THREW) {
        assertThat(expected).as("refused by the record: %s", actual).isNull();
      } else if (scanned != null) {
        assertThat(WRITER.writeValueAsString(scanned))
            .as("scanned: " + new String(payload, StandardCharsets.UTF_8))
            .isEqualTo(expected);
      }
    }
  }

  private static Object decode(Class<?> type, byte[] payload) {
    return CODEC.decode(type, ByteBuffer.wrap(payload));
  }
}
