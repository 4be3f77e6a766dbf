package dev.tether.codec.jackson;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.codec.CodecLimits;
import dev.tether.codec.EncodeBuffer;
import dev.tether.codec.jackson.PlainRecordWriterTest.AsArray;
import dev.tether.codec.jackson.PlainRecordWriterTest.Empty;
import dev.tether.codec.jackson.PlainRecordWriterTest.Ignored;
import dev.tether.codec.jackson.PlainRecordWriterTest.Nested;
import dev.tether.codec.jackson.PlainRecordWriterTest.NonNull;
import dev.tether.codec.jackson.PlainRecordWriterTest.Ordered;
import dev.tether.codec.jackson.PlainRecordWriterTest.Plain;
import dev.tether.codec.jackson.PlainRecordWriterTest.Renamed;
import dev.tether.codec.jackson.PlainRecordWriterTest.Snake;
import dev.tether.codec.jackson.PlainRecordWriterTest.Typed;
import dev.tether.codec.jackson.PlainRecordWriterTest.WithDouble;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.dataformat.cbor.CBORWriteFeature;

/**
 * The {@code cbor} codec's {@link PlainRecordWriter} writes exactly the bytes Jackson's CBOR
 * generator writes for a record of plain values, whatever the values; and a mapper whose generator
 * writes otherwise gets no such writer.
 */
class CborPlainWriterTest {
  private static final ObjectMapper MAPPER = JacksonMappers.cbor(CodecLimits.defaults());
  private static final JacksonCodec CODEC = new JacksonCodec("cbor", MAPPER);

  @Test
  void writesWhatJacksonWritesForAnyValues() {
    Random random = new Random(20261206);
    int written = 0;
    for (int i = 0; i < 20_000; i++) {
      Plain message =
          PlainRecordWriterTest.somePlain(
              random, someString(random), random.nextInt(8) == 0 ? null : someBytes(random));
      if (assertEncodesAsJackson(message)) {
        written++;
      }
    }
    assertThat(written).as("messages the writer took").isGreaterThan(5_000);
  }

  @Test
  void theEdgesOfEachValueAreWrittenAsJacksonWritesThem() {
    for (long magnitude :
        new long[] {
          0, 23, 24, 255, 256, 65_535, 65_536, (1L << 32) - 1, 1L << 32, Long.MAX_VALUE
        }) {
      for (long value : new long[] {magnitude, -1 - magnitude}) {
        assertThat(
                assertEncodesAsJackson(
                    new Plain(
                        value, value, (int) value, (int) value, true, false, "", new byte[0])))
            .as("%d written plainly", value)
            .isTrue();
      }
    }
    for (int length :
        new int[] {0, 23, 24, 255, 256, 1023, 1024, 1025, 3996, 3997, 65_535, 65_536}) {
      assertEncodesAsJackson(new Plain(1, 2L, 3, 4, false, true, "a".repeat(length), new byte[0]));
      assertEncodesAsJackson(new Plain(1, 2L, 3, 4, false, true, "", new byte[length]));
    }
    for (String text : List.of("\u0000", "\u007f", "tab\t\"\\", "\u0080", "é", "\ud83d\ude00")) {
      assertEncodesAsJackson(new Plain(1, 2L, 3, 4, false, true, text, new byte[] {1}));
    }
    assertEncodesAsJackson(new Renamed("a", 1));
    assertEncodesAsJackson(new Ordered(1, "x"));
    assertEncodesAsJackson(new Snake(1, "x"));
    assertThat(assertEncodesAsJackson(new Empty())).isTrue();
    for (Object other :
        List.of(
            new Ignored("s", "n"),
            new NonNull(null, 0),
            new AsArray(1, "a"),
            new Typed(1),
            new WithDouble(1, 0.1),
            new Nested(1, new Renamed("x", 2)))) {
      assertThat(assertEncodesAsJackson(other)).as("%s written plainly", other).isFalse();
    }
  }

  @Test
  void aMapperWhoseGeneratorWritesOtherwiseGetsNoWriter() {
    for (CBORWriteFeature feature :
        List.of(CBORWriteFeature.WRITE_TYPE_HEADER, CBORWriteFeature.STRINGREF)) {
      ObjectMapper other =
          JacksonMappers.cbor(CodecLimits.defaults()).rebuild().enable(feature).build();
      assertThat(PlainRecordWriter.of(other, Plain.class)).as("%s", feature).isNull();
    }
    ObjectMapper wide =
        JacksonMappers.cbor(CodecLimits.defaults())
            .rebuild()
            .disable(CBORWriteFeature.WRITE_MINIMAL_INTS)
            .build();
    assertThat(PlainRecordWriter.of(wide, Plain.class)).isNull();
    Plain message = new Plain(1, 2L, 3, 4, true, true, "a", new byte[] {1});
    EncodeBuffer out = new EncodeBuffer(16);
    new JacksonCodec("cbor", wide).encode(message, out);
    assertThat(Arrays.copyOf(out.array(), out.position()))
        .isEqualTo(wide.writeValueAsBytes(message));
    assertThat(PlainRecordWriter.of(MAPPER, Plain.class)).isNotNull();
  }

  @Test
  void whatItWritesDecodesToAnEqualRecord() {
    Plain message = new Plain(-5, 7L, 42, -3, true, false, "hello", new byte[] {0, -1, 127});
    EncodeBuffer out = new EncodeBuffer(16);
    CODEC.encode(message, out);
    Plain decoded =
        CODEC.decode(Plain.class, ByteBuffer.wrap(Arrays.copyOf(out.array(), out.position())));
    assertThat(decoded).usingRecursiveComparison().isEqualTo(message);
  }

  private static boolean assertEncodesAsJackson(Object message) {
    return PlainRecordWriterTest.assertEncodesAsJackson(MAPPER, CODEC, message);
  }

  private static String someString(Random random) {
    if (random.nextInt(8) == 0) {
      return null;
    }
    String alphabet = "az\u0000\u001f\u007f\"\\\u0080\u00e9\u2028\ud83d\ude00\ud83d";
    int length = random.nextInt(10) == 0 ? random.nextInt(1100) : random.nextInt(40);
    char[] text = new char[length];
    boolean ascii = random.nextInt(4) != 0;
    for (int i = 0; i < length; i++) {
      text[i] =
          ascii ? (char) random.nextInt(0x80) : alphabet.charAt(random.nextInt(alphabet.length()));
    }
    return new String(text);
  }

  private static byte[] someBytes(Random random) {
    byte[] bytes = new byte[random.nextInt(10) == 0 ? random.nextInt(70_000) : random.nextInt(40)];
    random.nextBytes(bytes);
    return bytes;
  }
}
