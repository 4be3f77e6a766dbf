package dev.tether.codec.jackson;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecLimits;
import dev.tether.codec.EncodeBuffer;
import dev.tether.codec.jackson.PlainRecordWriterTest.Plain;
import dev.tether.codec.jackson.PlainRecordWriterTest.Renamed;
import java.util.Arrays;
import java.util.List;
import tools.jackson.databind.ObjectMapper;

/**
 * Fuzzes the {@code json} and {@code cbor} codecs' {@link PlainRecordWriter} against Jackson's own
 * generators: for any values of a plain record, each codec writes Jackson's bytes (or refuses what
 * Jackson refuses), and so does the writer itself wherever it takes the message. The input is
 * turned into the record's values (any string, any bytes, nulls); {@code scripts/fuzz.sh writer
 * <minutes>} fuzzes for real.
 */
class PlainWriterFuzzTest {
  private static final List<Format> FORMATS =
      List.of(
          new Format(JacksonMappers.json(CodecLimits.defaults()), "json"),
          new Format(JacksonMappers.cbor(CodecLimits.defaults()), "cbor"));

  /** A mapper, the codec over it, and the writers of both records in its format. */
  private record Format(
      ObjectMapper mapper, JacksonCodec codec, PlainRecordWriter plain, PlainRecordWriter renamed) {
    Format(ObjectMapper mapper, String name) {
      this(
          mapper,
          new JacksonCodec(name, mapper),
          PlainRecordWriter.of(mapper, Plain.class),
          PlainRecordWriter.of(mapper, Renamed.class));
    }
  }

  @FuzzTest(maxDuration = "10m")
  void writesWhatJacksonWrites(FuzzedDataProvider data) {
    boolean plain = data.consumeBoolean();
    Object message =
        plain
            ? new Plain(
                data.consumeLong(),
                data.consumeBoolean() ? null : data.consumeLong(),
                data.consumeInt(),
                data.consumeBoolean() ? null : data.consumeInt(),
                data.consumeBoolean(),
                data.consumeBoolean() ? null : data.consumeBoolean(),
                data.consumeBoolean() ? null : data.consumeString(64),
                data.consumeBoolean() ? null : data.consumeBytes(data.consumeInt(0, 200)))
            : new Renamed(
                data.consumeBoolean() ? null : data.consumeString(64), data.consumeLong());
    for (Format format : FORMATS) {
      byte[] expected;
      try {
        expected = format.mapper().writeValueAsBytes(message);
      } catch (RuntimeException refused) { // CBOR: half of a surrogate pair
        assertThatThrownBy(() -> format.codec().encode(message, new EncodeBuffer(16)))
            .isInstanceOf(CodecException.class);
        continue;
      }
      EncodeBuffer out = new EncodeBuffer(16);
      format.codec().encode(message, out);
      assertThat(Arrays.copyOf(out.array(), out.position())).as("codec").isEqualTo(expected);
      EncodeBuffer own = new EncodeBuffer(16);
      PlainRecordWriter writer = plain ? format.plain() : format.renamed();
      if (writer.write(message, own, new LimitedGenerator.Base64Text())) {
        assertThat(Arrays.copyOf(own.array(), own.position())).as("writer").isEqualTo(expected);
      }
    }
  }
}
