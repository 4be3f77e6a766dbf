package dev.tether.codec.jackson;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecLimits;
import dev.tether.codec.EncodeBuffer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.annotation.JsonNaming;
import tools.jackson.databind.annotation.JsonSerialize;
import tools.jackson.databind.ser.std.ToStringSerializer;

/**
 * The {@code json} codec's {@link PlainRecordWriter} writes exactly the bytes Jackson writes for a
 * record of plain values, whatever the values; a type Jackson writes any other way gets no such
 * writer; and what the writer declines, or a setting its checks miss, still gets Jackson's bytes.
 */
class PlainRecordWriterTest {
  record Plain(
      long id,
      Long boxedId,
      int count,
      Integer boxedCount,
      boolean on,
      Boolean boxedOn,
      String name,
      byte[] data) {}

  record Renamed(@JsonProperty("n\"/é") String name, @JsonProperty("v") long value) {}

  @JsonPropertyOrder({"second", "first"})
  record Ordered(long first, String second) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Snake(long firstValue, String secondValue) {}

  record Empty() {}

  record Ignored(@JsonIgnore String secret, String name) {}

  record NonNull(@JsonInclude(JsonInclude.Include.NON_NULL) String name, long n) {}

  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  record NonDefault(long n, String name) {}

  record AsString(@JsonFormat(shape = JsonFormat.Shape.STRING) long n) {}

  record Serialized(@JsonSerialize(using = ToStringSerializer.class) long n) {}

  record Raw(@JsonRawValue String json) {}

  @JsonFormat(shape = JsonFormat.Shape.ARRAY)
  record AsArray(long n, String name) {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.CLASS)
  record Typed(long n) {}

  record Valued(long n) {
    @JsonValue
    long value() {
      return n;
    }
  }

  record AnyGetter(long n) {
    @JsonAnyGetter
    Map<String, Object> extra() {
      return Map.of("x", 1);
    }
  }

  record WithDouble(long n, double score) {}

  record Nested(long n, Renamed inner) {}

  record WithList(long n, List<String> names) {}

  record Throwing(long n) {
    @Override
    public long n() {
      throw new IllegalStateException("no n today");
    }
  }

  static final class NotARecord {
    public long n = 1;
  }

  private static final ObjectMapper MAPPER = JacksonMappers.json(CodecLimits.defaults());
  private static final JacksonCodec CODEC = new JacksonCodec("json", MAPPER);

  @Test
  void recordsOfPlainValuesGetAWriterAndOthersDoNot() {
    for (Class<?> plain :
        List.of(Plain.class, Renamed.class, Ordered.class, Snake.class, Empty.class)) {
      assertThat(PlainRecordWriter.of(MAPPER, plain)).as(plain.getSimpleName()).isNotNull();
    }
    for (Class<?> other :
        List.of(
            Ignored.class,
            NonNull.class,
            NonDefault.class,
            AsString.class,
            Serialized.class,
            Raw.class,
            AsArray.class,
            Typed.class,
            Valued.class,
            AnyGetter.class,
            WithDouble.class,
            Nested.class,
            WithList.class,
            NotARecord.class,
            String.class)) {
      assertThat(PlainRecordWriter.of(MAPPER, other)).as(other.getSimpleName()).isNull();
    }
  }

  @Test
  void writesWhatJacksonWritesForAnyValues() {
    Random random = new Random(20261206);
    int written = 0;
    for (int i = 0; i < 20_000; i++) {
      Plain message =
          somePlain(random, someString(random), random.nextInt(8) == 0 ? null : someBytes(random));
      assertEncodesAsJackson(message);
      if (plainlyWritable(message)) {
        written++;
        assertThat(writtenPlainly(message)).as("written plainly: %s", message).isTrue();
      }
    }
    assertThat(written).as("messages the writer took").isGreaterThan(1_000);
  }

  @Test
  void namesOrderAndEmptyRecordsAreJacksons() {
    assertEncodesAsJackson(new Renamed("a", 1));
    assertThat(encoded(new Renamed("a", 1))).isEqualTo("{\"n\\\"/é\":\"a\",\"v\":1}");
    assertEncodesAsJackson(new Ordered(1, "x"));
    assertThat(encoded(new Ordered(1, "x"))).isEqualTo("{\"second\":\"x\",\"first\":1}");
    assertEncodesAsJackson(new Snake(1, "x"));
    assertEncodesAsJackson(new Empty());
    assertThat(encoded(new Empty())).isEqualTo("{}");
    for (Object other :
        List.of(
            new Ignored("s", "n"),
            new NonNull(null, 0),
            new NonDefault(0, ""),
            new AsString(5),
            new Serialized(5),
            new Raw("[1]"),
            new AsArray(1, "a"),
            new Valued(3),
            new AnyGetter(1),
            new WithDouble(1, 0.1),
            new Nested(1, new Renamed("x", 2)))) {
      assertEncodesAsJackson(other);
    }
  }

  @Test
  void theEdgesOfEachValueAreWrittenAsJacksonWritesThem() {
    long[] longs = {
      0,
      1,
      -1,
      9,
      10,
      99,
      100,
      999_999_999,
      1_000_000_000,
      Integer.MAX_VALUE,
      Integer.MIN_VALUE,
      Long.MAX_VALUE,
      Long.MIN_VALUE,
      Long.MIN_VALUE + 1,
      999_999_999_999_999_999L,
      1_000_000_000_000_000_000L,
      -999_999_999_999_999_999L
    };
    for (long value : longs) {
      assertEncodesAsJackson(
          new Plain(value, value, (int) value, (int) value, true, false, "", new byte[0]));
    }
    for (int length = 0; length < 70; length++) {
      byte[] data = new byte[length];
      Arrays.fill(data, (byte) (length * 37));
      assertEncodesAsJackson(new Plain(1, 2L, 3, 4, false, true, "x", data));
    }
    for (String text :
        List.of(
            "",
            " ",
            "~",
            "\u007f",
            "a\"b",
            "a\\b",
            "a/b",
            "tab\t",
            "\u0000",
            "é",
            "\u2028",
            "\ud83d\ude00",
            "\ud83d",
            "\ude00x",
            "<&>'")) {
      assertEncodesAsJackson(new Plain(1, 2L, 3, 4, false, true, text, new byte[] {1}));
    }
  }

  @Test
  void aDeclinedMessageLeavesWhatTheBufferHeldBeforeIt() {
    EncodeBuffer out = new EncodeBuffer(16);
    out.write(new byte[] {'x', 'y'}, 0, 2);
    Plain escaped = new Plain(1, 2L, 3, 4, true, true, "needs \"escapes\"", new byte[] {1, 2});
    assertThat(writtenPlainly(escaped)).isFalse();
    CODEC.encode(escaped, out);
    assertThat(new String(out.array(), 0, out.position(), StandardCharsets.UTF_8))
        .isEqualTo("xy" + jackson(escaped));
    Plain plain = new Plain(1, 2L, 3, 4, true, true, "plain", new byte[] {1, 2});
    CODEC.encode(plain, out);
    assertThat(new String(out.array(), 0, out.position(), StandardCharsets.UTF_8))
        .isEqualTo("xy" + jackson(escaped) + jackson(plain));
  }

  @Test
  void anAccessorThatThrowsIsReportedAsJacksonReportsIt() {
    assertThat(PlainRecordWriter.of(MAPPER, Throwing.class)).isNotNull();
    EncodeBuffer out = new EncodeBuffer(16);
    assertThatThrownBy(() -> CODEC.encode(new Throwing(1), out))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("no n today");
    assertThat(out.position()).isZero();
  }

  @Test
  void aSettingTheChecksMissStillGetsJacksonsBytes() {
    // indentation is not among what the writer looks at: the comparison of the first message
    // catches it, and the type is written by Jackson from then on
    ObjectMapper indenting =
        JacksonMappers.json(CodecLimits.defaults())
            .rebuild()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();
    JacksonCodec codec = new JacksonCodec("json", indenting);
    Plain first = new Plain(1, 2L, 3, 4, true, true, "a", new byte[] {1});
    Plain second = new Plain(5, 6L, 7, 8, false, false, "b", new byte[] {2});
    for (Plain message : List.of(first, second)) {
      EncodeBuffer out = new EncodeBuffer(16);
      codec.encode(message, out);
      assertThat(new String(out.array(), 0, out.position(), StandardCharsets.UTF_8))
          .isEqualTo(indenting.writeValueAsString(message))
          .contains("\n");
    }
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

  private static boolean plainlyWritable(Plain message) {
    return message.boxedId() != null
        && message.boxedCount() != null
        && message.boxedOn() != null
        && message.data() != null
        && message.name() != null
        && message.name().chars().allMatch(c -> c >= 0x20 && c <= 0x7e && c != '"' && c != '\\');
  }

  private static boolean writtenPlainly(Object message) {
    PlainRecordWriter writer = PlainRecordWriter.of(MAPPER, message.getClass());
    EncodeBuffer out = new EncodeBuffer(16);
    return writer != null && writer.write(message, out, new LimitedGenerator.Base64Text());
  }

  private static void assertEncodesAsJackson(Object message) {
    assertEncodesAsJackson(MAPPER, CODEC, message);
  }

  /**
   * Byte for byte, against the generator of {@code mapper} (for JSON its UTF-8 one, as the codec's;
   * the String one differs): the codec's bytes, and the writer's own where it takes the message
   * (the codec compares only a type's first message with Jackson's); returns whether the writer
   * took it. Where Jackson refuses the message, the codec must too.
   */
  static boolean assertEncodesAsJackson(ObjectMapper mapper, JacksonCodec codec, Object message) {
    byte[] expected;
    try {
      expected = mapper.writeValueAsBytes(message);
    } catch (RuntimeException refused) { // CBOR: half of a surrogate pair, which UTF-8 cannot hold
      assertThatThrownBy(() -> codec.encode(message, new EncodeBuffer(16)))
          .isInstanceOf(CodecException.class);
      return false;
    }
    String description =
        codec.name().equals("cbor")
            ? HexFormat.of().formatHex(expected)
            : new String(expected, StandardCharsets.UTF_8).replace('\u0000', '0');
    EncodeBuffer out = new EncodeBuffer(16);
    codec.encode(message, out);
    assertThat(Arrays.copyOf(out.array(), out.position()))
        .as("codec: %s as %s", message, description)
        .isEqualTo(expected);
    PlainRecordWriter writer = PlainRecordWriter.of(mapper, message.getClass());
    EncodeBuffer own = new EncodeBuffer(16);
    if (writer != null && writer.write(message, own, new LimitedGenerator.Base64Text())) {
      assertThat(Arrays.copyOf(own.array(), own.position()))
          .as("writer: %s as %s", message, description)
          .isEqualTo(expected);
      return true;
    }
    return false;
  }

  private static String encoded(Object message) {
    EncodeBuffer out = new EncodeBuffer(16);
    CODEC.encode(message, out);
    return new String(out.array(), 0, out.position(), StandardCharsets.UTF_8);
  }

  private static String jackson(Object message) {
    return new String(MAPPER.writeValueAsBytes(message), StandardCharsets.UTF_8);
  }

  /** A record of random values, each boxed one null one time in eight, with these two. */
  static Plain somePlain(Random random, String name, byte[] data) {
    return new Plain(
        someLong(random),
        random.nextInt(8) == 0 ? null : someLong(random),
        (int) someLong(random),
        random.nextInt(8) == 0 ? null : (int) someLong(random),
        random.nextBoolean(),
        random.nextInt(8) == 0 ? null : random.nextBoolean(),
        name,
        data);
  }

  /** A long, often of a few digits or a power of ten, either sign. */
  static long someLong(Random random) {
    return switch (random.nextInt(4)) {
      case 0 -> random.nextLong();
      case 1 -> random.nextInt(1000) - 500;
      case 2 -> (random.nextBoolean() ? 1 : -1) * (long) Math.pow(10, random.nextInt(19));
      default -> random.nextInt();
    };
  }

  private static final String CHARS = "az AZ09~\"\\/\t\u0000\u007fé\u2028\ud83d\ude00";

  private static String someString(Random random) {
    if (random.nextInt(10) == 0) {
      return null;
    }
    int length = random.nextInt(20);
    StringBuilder text = new StringBuilder(length);
    boolean plain = random.nextBoolean();
    for (int i = 0; i < length; i++) {
      text.append(
          plain
              ? (char) (0x20 + random.nextInt(0x5f))
              : CHARS.charAt(random.nextInt(CHARS.length())));
    }
    return text.toString();
  }

  private static byte[] someBytes(Random random) {
    byte[] data = new byte[random.nextInt(100)];
    random.nextBytes(data);
    return data;
  }
}
