package dev.tether.codec.jackson;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecLimits;
import dev.tether.codec.jackson.CborRecordScanTest.Small;
import dev.tether.codec.jackson.PlainRecordReaderTest.Checked;
import dev.tether.codec.jackson.PlainRecordReaderTest.Every;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.ObjectMapper;

/**
 * Fuzzes the {@code cbor} codec's {@link CborRecordScan} against Jackson's own reader: for any
 * payload, the codec decodes the value that Jackson's reader decodes, or refuses what it (or {@link
 * CborPrescan}) refuses, and what the scan takes is that value. The first input byte picks the
 * type, the rest is the payload; the seeds under {@code CborRecordScanFuzzTestInputs} are valid
 * payloads, so that mutations stay near them. {@code scripts/fuzz.sh cborscan <minutes>} fuzzes for
 * real.
 */
class CborRecordScanFuzzTest {
  private static final List<Class<?>> TYPES = List.of(Every.class, Small.class, Checked.class);

  private static final ObjectMapper MAPPER = JacksonMappers.cbor(CodecLimits.defaults());
  private static final Codec CODEC = new JacksonCodec("cbor", MAPPER);

  /**
   * Each type's reader, whose scan is also called directly: the codec stops scanning a type after
   * {@link ReusedParser.TypeReader#PLAIN_MISSES} payloads it gives up, which mutated input soon
   * reaches.
   */
  private static final Map<Class<?>, PlainRecordReader> SCANNERS =
      Map.of(
          Every.class, PlainRecordReader.of(MAPPER, Every.class),
          Small.class, PlainRecordReader.of(MAPPER, Small.class),
          Checked.class, PlainRecordReader.of(MAPPER, Checked.class));

  /** Writes both values for comparison: plain Jackson JSON, without the codec's checks. */
  private static final ObjectMapper WRITER = new ObjectMapper();

  static {
    // a type's first decode is Jackson's; from the second on, the scan comes first
    decode(
        Every.class,
        MAPPER.writeValueAsBytes(
            new Every(1, 2L, 3, 4, true, false, 0.5, 1.5, "x", new byte[] {1})));
    decode(Small.class, MAPPER.writeValueAsBytes(new Small(1, "s")));
    decode(Checked.class, MAPPER.writeValueAsBytes(new Checked(1, 2)));
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
      Object value =
          CborPrescan.refusal(payload, 0, payload.length) != null
              ? null
              : MAPPER.readerFor(type).readValue(payload);
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
    String hex = HexFormat.of().formatHex(payload);
    assertThat(actual).as(hex).isEqualTo(expected);
    Object scanned = CborRecordScan.scan(SCANNERS.get(type), payload, 0, payload.length);
    if (scanned == PlainRecordReader.CREATOR_THREW) {
      assertThat(expected).as("refused by the record: %s", hex).isNull();
    } else if (scanned != null) {
      assertThat(WRITER.writeValueAsString(scanned)).as("scanned: " + hex).isEqualTo(expected);
    }
  }

  private static Object decode(Class<?> type, byte[] payload) {
    return CODEC.decode(type, ByteBuffer.wrap(payload));
  }
}
