package dev.tether.codec.jackson;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecLimits;
import dev.tether.testing.Allocations;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.ObjectMapper;

/**
 * A peer's property names cannot make every later message expensive ({@link BoundedNames}), and the
 * json codec reads UTF-8 alone, as PROTOCOL.md says.
 */
class BoundedNamesTest {
  record Stamp(String at, int n) {}

  /** What decoding one small payload with a name the codec never saw may allocate. */
  private static final long SMALL_PAYLOAD_ALLOCATION = 256 * 1024;

  @ParameterizedTest
  @ValueSource(strings = {"json", "cbor"})
  void namesAPeerSentDoNotMakeLaterMessagesCopyThem(String format) {
    ObjectMapper mapper =
        format.equals("json")
            ? JacksonMappers.json(CodecLimits.defaults())
            : JacksonMappers.cbor(CodecLimits.defaults());
    Codec codec = new JacksonCodec(format, mapper);
    Random random = new Random(1);
    // 50 payloads of 100 unknown properties with names of 1,000 characters: about 5 MB of names,
    // which the codec ignores; Jackson's own table kept them all, and every later parser that met
    // a new name copied it first (5.3 MB for a 36-byte payload)
    for (int payload = 0; payload < 50; payload++) {
      Map<String, Object> fields = new LinkedHashMap<>();
      for (int name = 0; name < 100; name++) {
        fields.put(randomName(random, 1000), name);
      }
      fields.put("at", "primed");
      fields.put("n", payload);
      assertThat(decode(codec, mapper, fields)).isEqualTo(new Stamp("primed", payload));
    }
    for (int i = 0; i < 5; i++) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("new" + i, 1);
      fields.put("at", "small");
      fields.put("n", i);
      byte[] payload = mapper.writeValueAsBytes(fields);
      long before = Allocations.current();
      Stamp decoded = codec.decode(Stamp.class, ByteBuffer.wrap(payload));
      long allocated = Allocations.since(before);
      assertThat(decoded).isEqualTo(new Stamp("small", i));
      if (allocated >= 0) {
        assertThat(allocated)
            .as("bytes allocated decoding %d bytes with one new name", payload.length)
            .isLessThanOrEqualTo(SMALL_PAYLOAD_ALLOCATION);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"UTF-16BE", "UTF-16LE", "UTF-16", "UTF-32BE", "UTF-32LE"})
  void jsonIsReadAsUtf8Only(String charset) {
    Codec codec = new JsonCodecProvider().create(null);
    byte[] payload = "{\"at\":\"x\",\"n\":1}".getBytes(Charset.forName(charset));
    assertThatThrownBy(() -> codec.decode(Stamp.class, ByteBuffer.wrap(payload)))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("json codec cannot decode");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 3})
  void aUtf8ByteOrderMarkIsSkipped(int before) {
    Codec codec = new JsonCodecProvider().create(null);
    byte[] json = "{\"at\":\"h\u00e9llo \ud83d\ude00\",\"n\":7}".getBytes(UTF_8);
    byte[] framed = new byte[before + 3 + json.length + 2];
    framed[before] = (byte) 0xEF;
    framed[before + 1] = (byte) 0xBB;
    framed[before + 2] = (byte) 0xBF;
    System.arraycopy(json, 0, framed, before + 3, json.length);
    ByteBuffer payload = ByteBuffer.wrap(framed, before, 3 + json.length).slice();
    assertThat(codec.decode(Stamp.class, payload))
        .isEqualTo(new Stamp("h\u00e9llo \ud83d\ude00", 7));
  }

  private static Stamp decode(Codec codec, ObjectMapper mapper, Map<String, Object> fields) {
    return codec.decode(Stamp.class, ByteBuffer.wrap(mapper.writeValueAsBytes(fields)));
  }

  private static String randomName(Random random, int length) {
    StringBuilder name = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      name.append((char) ('a' + random.nextInt(26)));
    }
    return name.toString();
  }
}
