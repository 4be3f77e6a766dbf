package dev.tether.codec.jackson;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tether.codec.CodecLimits;
import dev.tether.codec.EncodeBuffer;
import dev.tether.codec.jackson.PlainRecordWriterTest.Plain;
import dev.tether.codec.jackson.PlainRecordWriterTest.Renamed;
import java.util.Arrays;
import tools.jackson.databind.ObjectMapper;

/**
 * Fuzzes the {@code json} codec's {@link PlainRecordWriter} against Jackson's own generator: for
 * any values of a plain record, the codec writes Jackson's bytes, and so does the writer itself
 * wherever it takes the message. The input is turned into the record's values (any string, any
 * bytes, nulls); {@code scripts/fuzz.sh writer <minutes>} fuzzes for real.
 */
class JsonPlainWriterFuzzTest {
  private static final ObjectMapper MAPPER = JacksonMappers.json(CodecLimits.defaults());
  private static final JacksonCodec CODEC = new JacksonCodec("json", MAPPER);
  private static final PlainRecordWriter PLAIN = PlainRecordWriter.of(MAPPER, Plain.class);
  private static final PlainRecordWriter RENAMED = PlainRecordWriter.of(MAPPER, Renamed.class);

  @FuzzTest(maxDuration = "10m")
  void writesWhatJacksonWrites(FuzzedDataProvider data) {
    Object message;
    PlainRecordWriter writer;
    if (data.consumeBoolean()) {
      message =
          new Plain(
              data.consumeLong(),
              data.consumeBoolean() ? null : data.consumeLong(),
              data.consumeInt(),
              data.consumeBoolean() ? null : data.consumeInt(),
              data.consumeBoolean(),
              data.consumeBoolean() ? null : data.consumeBoolean(),
              data.consumeBoolean() ? null : data.consumeString(64),
              data.consumeBoolean() ? null : data.consumeBytes(data.consumeInt(0, 200)));
      writer = PLAIN;
    } else {
      message =
          new Renamed(data.consumeBoolean() ? null : data.consumeString(64), data.consumeLong());
      writer = RENAMED;
    }
    byte[] expected = MAPPER.writeValueAsBytes(message);
    EncodeBuffer out = new EncodeBuffer(16);
    CODEC.encode(message, out);
    assertThat(Arrays.copyOf(out.array(), out.position())).as("codec").isEqualTo(expected);
    EncodeBuffer own = new EncodeBuffer(16);
    if (writer.write(message, own, new LimitedGenerator.Base64Text())) {
      assertThat(Arrays.copyOf(own.array(), own.position())).as("writer").isEqualTo(expected);
    }
  }
}
