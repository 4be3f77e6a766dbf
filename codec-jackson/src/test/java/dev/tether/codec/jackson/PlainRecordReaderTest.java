package dev.tether.codec.jackson;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JacksonInject;
import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonIdentityInfo;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonIncludeProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.ObjectIdGenerators;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecLimits;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JsonParser;
import tools.jackson.core.async.ByteArrayFeeder;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.annotation.JsonDeserialize;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * A record of plain values read by {@link PlainRecordReader} is the record Jackson builds from the
 * same payload; a type Jackson reads any other way gets no such reader; and whatever the reader
 * gives up is still decoded, or refused, exactly as Jackson decodes or refuses it.
 */
class PlainRecordReaderTest {
  record Every(
      long id,
      Long boxedId,
      int count,
      Integer boxedCount,
      boolean on,
      Boolean boxedOn,
      double score,
      Double boxedScore,
      String name,
      byte[] data) {}

  record Named(@JsonProperty("n") String name, @JsonAlias("v") int value) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Snake(long firstValue, String secondValue) {}

  static final AtomicInteger CHECKED_BUILT = new AtomicInteger();

  record Checked(int low, int high) {
    Checked {
      CHECKED_BUILT.incrementAndGet();
      if (low > high) {
        throw new IllegalArgumentException(low + " > " + high);
      }
    }
  }

  record Ignored(@JsonIgnore String secret, String name) {}

  /** A name whose UTF-8 is not its bytes: half a surrogate pair becomes {@code ?}. */
  record HalfSurrogate(@JsonProperty("a\ud800") int n) {}

  @JsonIgnoreProperties({"secret"})
  record IgnoredByClass(String secret, String name) {}

  @JsonIncludeProperties({"name"})
  record IncludedOnly(String secret, String name) {}

  record ReadOnly(@JsonProperty(access = JsonProperty.Access.READ_ONLY) String secret, int n) {}

  record Injected(@JacksonInject("x") String x, int n) {}

  record CustomComponent(@JsonDeserialize(using = Doubling.class) int n, String s) {}

  record StringShaped(@JsonFormat(shape = JsonFormat.Shape.STRING) int n) {}

  @JsonFormat(shape = JsonFormat.Shape.ARRAY)
  record AsArray(int a, int b) {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.CLASS)
  record Typed(int a) {}

  @JsonIdentityInfo(generator = ObjectIdGenerators.IntSequenceGenerator.class)
  record Identified(int a) {}

  record WithList(int a, List<Integer> list) {}

  record WithNested(int a, Named nested) {}

  record WithAny(int a, @JsonAnySetter Map<String, Object> rest) {}

  record Delegated(String text) {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static Delegated of(Map<String, String> all) {
      return new Delegated(String.valueOf(all));
    }
  }

  static final class Bean {
    public int a;
  }

  /** Reads an int and doubles it. */
  static final class Doubling extends ValueDeserializer<Integer> {
    @Override
    public Integer deserialize(JsonParser p, DeserializationContext ctxt) {
      return p.getIntValue() * 2;
    }
  }

  /** Changes of a valid {@link Every} payload that both ways of reading it give up. */
  private static final String[][] NOT_PLAIN = {
    {"\"id\":-7", "\"id\":null"}, // null
    {"\"id\":-7,", ""}, // missing
    {"\"id\":-7", "\"id\":-7,\"id\":-7"}, // repeated
    {"\"id\":-7", "\"id\":-7,\"extra\":1"}, // unknown
    {"\"id\":-7", "\"id\":\"-7\""}, // a string for a number
    {"\"id\":-7", "\"id\":-7.0"}, // a fraction for a long
    {"\"id\":-7", "\"id\":99999999999999999999"}, // too big for a long
    {"\"count\":42", "\"count\":4200000000"}, // too big for an int
    {"\"on\":true", "\"on\":1"}, // a number for a boolean
    {"\"score\":2.5", "\"score\":2"}, // an integer for a double
    {"\"name\":\"", "\"name\":7,\"x\":\""}, // a number for a string
    {"\"AQID\"", "\"AQI\""}, // base64 without padding
    {"\"AQID\"", "[1,2,3]"}, // bytes as numbers
  };

  private final ObjectMapper mapper = JacksonMappers.json(CodecLimits.defaults());
  private final Codec codec = new JacksonCodec("json", mapper);

  private final Every every =
      new Every(
          -7L, 1L << 40, 42, -3, true, false, 2.5, -1e-3, "caf\u00e9 \"x\"", new byte[] {1, 2, 3});

  @Test
  void readsOnlyRecordsThatJacksonReadsPlainly() {
    for (Class<?> plain :
        List.of(Every.class, Named.class, Snake.class, Checked.class, StringShaped.class)) {
      assertThat(PlainRecordReader.of(mapper, plain)).as(plain.getSimpleName()).isNotNull();
    }
    for (Class<?> other :
        List.of(
            Ignored.class,
            IgnoredByClass.class,
            IncludedOnly.class,
            ReadOnly.class,
            Injected.class,
            CustomComponent.class,
            AsArray.class,
            Typed.class,
            Identified.class,
            WithList.class,
            WithNested.class,
            WithAny.class,
            Delegated.class,
            Bean.class,
            HalfSurrogate.class)) {
      assertThat(PlainRecordReader.of(mapper, other)).as(other.getSimpleName()).isNull();
    }
    for (int i = 0; i < 2; i++) { // the type's second payload is the first its readers may take
      sameOutcome(HalfSurrogate.class, "{\"a?\":1}".getBytes(UTF_8));
    }
  }

  @Test
  void readsAPlainObjectAsJacksonDoesAndGivesUpAnythingElse() {
    PlainRecordReader reader = PlainRecordReader.of(mapper, Every.class);
    String valid = new String(mapper.writeValueAsBytes(every), UTF_8);
    assertThat(read(reader, valid)).usingRecursiveComparison().isEqualTo(every);
    // the order of the properties is the writer's, not the record's
    String reordered =
        "{\"data\":\"AQID\",\"name\":\"n\",\"boxedScore\":1.5,\"score\":0.0,\"boxedOn\":true,"
            + "\"on\":false,\"boxedCount\":1,\"count\":2,\"boxedId\":3,\"id\":4}";
    assertThat(read(reader, reordered))
        .usingRecursiveComparison()
        .isEqualTo(new Every(4, 3L, 2, 1, false, true, 0.0, 1.5, "n", new byte[] {1, 2, 3}));
    for (String[] change : NOT_PLAIN) {
      String changed = valid.replace(change[0], change[1]);
      assertThat(changed).as("the test's own replacement").isNotEqualTo(valid);
      assertThat(read(reader, changed)).as(changed).isNull();
    }
  }

  @Test
  void namesComponentsAsJacksonDoes() {
    PlainRecordReader named = PlainRecordReader.of(mapper, Named.class);
    assertThat(read(named, "{\"n\":\"a\",\"value\":1}")).isEqualTo(new Named("a", 1));
    assertThat(read(named, "{\"name\":\"a\",\"value\":1}")).isNull(); // not its name
    assertThat(read(named, "{\"n\":\"a\",\"v\":1}")).isNull(); // an alias: Jackson's to read
    assertThat(
            read(
                PlainRecordReader.of(mapper, Snake.class),
                "{\"first_value\":1,\"second_value\":\"s\"}"))
        .isEqualTo(new Snake(1, "s"));
    // a constructor that refuses: the codec's own parser reads it, and refuses it in Jackson's
    // words
    assertThat(read(PlainRecordReader.of(mapper, Checked.class), "{\"low\":2,\"high\":1}"))
        .isSameAs(PlainRecordReader.CREATOR_THREW);
  }

  @Test
  void decodesEveryMutationAsJacksonDoes() {
    byte[] valid = mapper.writeValueAsBytes(every);
    Random random = new Random(11);
    for (int i = 0; i < 4000; i++) {
      sameOutcome(Every.class, ReusedParserTest.mutated(valid, random, " {}[],:\"0-9.eE+a\\nul"));
      sameOutcome(Every.class, valid); // and the reused parser is sound after whatever came before
    }
  }

  @Test
  void aConstructorThatRefusesIsRefusedInJacksonsWordsAndNothingIsLost() {
    byte[] good = "{\"low\":1,\"high\":2}".getBytes(UTF_8);
    byte[] bad = "{\"low\":2,\"high\":1}".getBytes(UTF_8);
    Checked expected = new Checked(1, 2);
    assertThat(codec.decode(Checked.class, ByteBuffer.wrap(good))).isEqualTo(expected);
    CHECKED_BUILT.set(0);
    assertThat(codec.decode(Checked.class, ByteBuffer.wrap(good))).isEqualTo(expected);
    assertThat(CHECKED_BUILT).hasValue(1); // read once, by the plain reader
    CHECKED_BUILT.set(0);
    sameOutcome(Checked.class, bad);
    // Jackson's reader in sameOutcome, then the plain reader, then the codec's own parser: a
    // refusing constructor runs twice in a decode, as it did before this reader
    assertThat(CHECKED_BUILT).hasValue(3);
    assertThat(codec.decode(Checked.class, ByteBuffer.wrap(good))).isEqualTo(expected);
  }

  @Test
  void aTypeWhosePayloadsAreOftenNotPlainIsSoonReadByJacksonAlone() {
    ReusedParser.TypeReader type =
        new ReusedParser.TypeReader(
            mapper.readerFor(Named.class), PlainRecordReader.of(mapper, Named.class));
    ReusedParser parser = new ReusedParser(mapper);
    byte[] aliased = "{\"n\":\"a\",\"v\":1}".getBytes(UTF_8);
    for (int i = 0; i < ReusedParser.TypeReader.PLAIN_MISSES; i++) {
      assertThat(type.plain()).isNotNull();
      assertThat(parser.read(type, aliased, 0, aliased.length)).isEqualTo(new Named("a", 1));
    }
    assertThat(type.plain()).isNull();
    assertThat(parser.read(type, aliased, 0, aliased.length)).isEqualTo(new Named("a", 1));
  }

  @Test
  void decodesRenamedAliasedAndShapedComponentsAsJacksonDoes() {
    Map<Class<?>, List<String>> payloads =
        Map.of(
            Named.class,
            List.of(
                "{\"n\":\"a\",\"value\":1}",
                "{\"value\":1,\"n\":\"a\"}",
                "{\"n\":\"a\",\"v\":1}",
                "{\"name\":\"a\",\"value\":1}",
                "{\"\\u006e\":\"a\",\"value\":1}"),
            Snake.class,
            List.of(
                "{\"first_value\":1,\"second_value\":\"s\"}",
                "{\"firstValue\":1,\"secondValue\":\"s\"}"),
            StringShaped.class,
            List.of("{\"n\":5}", "{\"n\":\"5\"}", "{\"n\":\"x\"}"));
    payloads.forEach(
        (type, list) -> {
          for (int round = 0; round < 2; round++) { // the first decode of a type is Jackson's
            for (String payload : list) {
              sameOutcome(type, payload.getBytes(UTF_8));
            }
          }
        });
  }

  @Test
  void scansTheEncodersFormAsJacksonReadsIt() {
    PlainRecordReader reader = PlainRecordReader.of(mapper, Every.class);
    Random random = new Random(5);
    for (int i = 0; i < 2000; i++) {
      byte[] data = new byte[random.nextInt(80)];
      random.nextBytes(data);
      Every value =
          new Every(
              random.nextLong() >> random.nextInt(64),
              (long) random.nextInt(),
              random.nextInt() >> random.nextInt(32),
              random.nextInt(),
              random.nextBoolean(),
              random.nextBoolean(),
              random.nextGaussian() * Math.pow(10, random.nextInt(40) - 20),
              (double) random.nextInt() / 7,
              asciiText(random),
              data.length == 0 ? new byte[] {7} : data);
      byte[] payload = mapper.writeValueAsBytes(value);
      Object scanned = reader.scan(payload, 0, payload.length);
      if (Math.abs(value.id()) >= 1_000_000_000_000_000_000L) {
        assertThat(scanned).as("19 digits: Jackson's to read").isNull();
        continue;
      }
      assertThat(scanned)
          .as(new String(payload, UTF_8))
          .usingRecursiveComparison()
          .isEqualTo(mapper.readerFor(Every.class).readValue(payload))
          .isEqualTo(value);
    }
    // white space between tokens, the writer's order, names in UTF-8 bytes
    String spaced =
        " {\n\t\"data\" : \"AQID\" ,\r\"name\":\"n\",\"boxedScore\":1E2,\"score\":-0.0,"
            + "\"boxedOn\":true,\"on\":false,\"boxedCount\":-2147483648,\"count\":2147483647,"
            + "\"boxedId\":-0,\"id\":999999999999999999 } ";
    byte[] bytes = spaced.trim().getBytes(UTF_8);
    assertThat(reader.scan(bytes, 0, bytes.length))
        .usingRecursiveComparison()
        .isEqualTo(mapper.readerFor(Every.class).readValue(bytes))
        .isEqualTo(
            new Every(
                999999999999999999L,
                0L,
                Integer.MAX_VALUE,
                Integer.MIN_VALUE,
                false,
                true,
                -0.0,
                100.0,
                "n",
                new byte[] {1, 2, 3}));
    record Accented(@JsonProperty("caf\u00e9") int n) {}
    byte[] accented = "{\"caf\u00e9\":1}".getBytes(UTF_8);
    assertThat(PlainRecordReader.of(mapper, Accented.class).scan(accented, 0, accented.length))
        .isEqualTo(new Accented(1));
  }

  @Test
  void scanGivesUpAnythingButTheStrictFormAndTheCodecStillDecodesItAsJacksonDoes() {
    PlainRecordReader reader = PlainRecordReader.of(mapper, Every.class);
    Every ascii = new Every(-7L, 1L, 42, -3, true, false, 2.5, -1e-3, "abc", new byte[] {1, 2, 3});
    String valid = new String(mapper.writeValueAsBytes(ascii), UTF_8);
    assertThat(scan(reader, valid)).usingRecursiveComparison().isEqualTo(ascii);
    for (String[] change :
        Stream.concat(
                Arrays.stream(NOT_PLAIN),
                Stream.of(
                    new String[][] {
                      {"\"id\":-7", "\"\\u0069d\":-7"}, // an escaped name
                      {"\"id\":-7", "\"id\":-7e0"}, // an exponent for a long
                      {"\"id\":-7", "\"id\":-07"}, // a leading zero
                      {"\"id\":-7", "\"id\":-"}, // a sign alone
                      {"\"id\":-7", "\"id\":+7"}, // a plus sign
                      {"\"id\":-7", "\"id\":1000000000000000000"}, // 19 digits
                      {"\"id\":-7", "\"id\":-7x"}, // a stray character
                      {"\"id\":-7", "\"id\":-7 7"}, // two numbers
                      {"\"count\":42", "\"count\":2147483648"}, // too big for an int
                      {"\"on\":true", "\"on\":truex"}, // a word that starts as a boolean
                      {"\"on\":true", "\"on\":tru"}, // a word cut short
                      {"\"score\":2.5", "\"score\":2."}, // a point without digits
                      {"\"score\":2.5", "\"score\":.5"}, // a fraction without an integer part
                      {"\"score\":2.5", "\"score\":02.5"}, // a leading zero
                      {"\"score\":2.5", "\"score\":2.5e"}, // an exponent without digits
                      {"\"score\":2.5", "\"score\":NaN"}, // not a JSON number
                      {"\"name\":\"abc\"", "\"name\":\"a\\nc\""}, // an escape
                      {"\"name\":\"abc\"", "\"name\":\"caf\u00e9\""}, // other than ASCII
                      {"\"name\":\"abc\"", "\"name\":\"a\tc\""}, // a control character
                      {"\"AQID\"", "\"\""}, // empty base64
                      {"\"AQID\"", "\"AQ=D\""}, // padding inside
                      {"\"AQID\"", "\"AQI*\""}, // outside the alphabet
                      {"\"id\":-7", "\"id\":-7,"}, // a comma too many
                      {"\"id\":-7", "\"id\"-7"}, // no colon
                      {":", "::"}, // two colons
                    }))
            .toList()) {
      String changed = valid.replace(change[0], change[1]);
      assertThat(changed).as("the test's own replacement").isNotEqualTo(valid);
      assertThat(scan(reader, changed)).as(changed).isNull();
      for (int round = 0; round < 2; round++) {
        sameOutcome(Every.class, changed.getBytes(UTF_8));
      }
    }
    assertThat(scan(reader, valid.substring(0, valid.length() - 1) + ",}")).isNull();
    assertThat(scan(reader, "{}")).isNull();
    assertThat(scan(reader, "{" + valid + "}")).isNull();
  }

  @Test
  void whatTheScanTakesIsWhatJacksonReads() {
    Every ascii = new Every(-7L, 10L, 42, -3, true, false, 2.5, -1e-3, "ab", new byte[] {1, 2});
    byte[] valid = mapper.writeValueAsBytes(ascii);
    PlainRecordReader reader = PlainRecordReader.of(mapper, Every.class);
    Random random = new Random(17);
    int taken = 0;
    for (int i = 0; i < 50_000; i++) {
      byte[] payload = ReusedParserTest.mutated(valid, random, " \t{}[],:\"0123456789.eE+-aQ=\\");
      if (!ReusedParser.mayRead(payload, 0, payload.length)) {
        continue;
      }
      Object scanned = reader.scan(payload, 0, payload.length);
      if (scanned != null) {
        taken++;
        assertThat(scanned)
            .as(new String(payload, UTF_8))
            .usingRecursiveComparison()
            .isEqualTo(mapper.readerFor(Every.class).readValue(payload));
      }
    }
    assertThat(taken).as("mutations the scan took").isGreaterThan(1000);
  }

  private static String asciiText(Random random) {
    char[] text = new char[random.nextInt(20)];
    for (int i = 0; i < text.length; i++) {
      char c = (char) (0x20 + random.nextInt(0x5f));
      text[i] = c == '"' || c == '\\' ? 'q' : c;
    }
    return new String(text);
  }

  private static Object scan(PlainRecordReader reader, String json) {
    byte[] bytes = json.getBytes(UTF_8);
    return reader.scan(bytes, 0, bytes.length);
  }

  private void sameOutcome(Class<?> type, byte[] payload) {
    Object expected;
    try {
      expected = mapper.readerFor(type).readValue(payload);
    } catch (RuntimeException e) {
      expected = null;
    }
    Object actual;
    try {
      actual = codec.decode(type, ByteBuffer.wrap(payload));
    } catch (CodecException e) {
      actual = null;
    }
    if (expected == null) {
      assertThat(actual).as("refused by Jackson: %s", new String(payload, UTF_8)).isNull();
    } else {
      assertThat(actual)
          .as("%s", new String(payload, UTF_8))
          .usingRecursiveComparison()
          .isEqualTo(expected);
    }
  }

  /**
   * Reads {@code json} with {@code reader} from a new non-blocking parser, as ReusedParser does.
   */
  private Object read(PlainRecordReader reader, String json) {
    JsonParser parser = mapper.reader().createNonBlockingByteArrayParser();
    byte[] bytes = json.getBytes(UTF_8);
    ((ByteArrayFeeder) parser.nonBlockingInputFeeder()).feedInput(bytes, 0, bytes.length);
    return reader.read(parser);
  }
}
