package dev.tether.codec.jackson;

import static dev.tether.codec.jackson.Codecs.concat;
import static dev.tether.codec.jackson.Codecs.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecLimits;
import dev.tether.codec.jackson.PlainRecordReaderTest.Checked;
import dev.tether.codec.jackson.PlainRecordReaderTest.Every;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.ObjectMapper;

/**
 * A CBOR payload of a plain record read by {@link CborRecordScan} is the record Jackson builds from
 * it; whatever the scan gives up, the codec still decodes or refuses exactly as Jackson does; and
 * what Jackson's own CBOR encoder writes for such a record, the scan takes.
 */
class CborRecordScanTest {
  record Small(int n, String s) {}

  record Renamed(@JsonProperty("caf\u00e9") int n) {}

  private final ObjectMapper mapper = JacksonMappers.cbor(CodecLimits.defaults());
  private final Codec codec = new JacksonCodec("cbor", mapper);
  private final PlainRecordReader every = PlainRecordReader.of(mapper, Every.class);

  @Test
  void takesWhatJacksonWritesForEveryValueAndReadsItAsJacksonDoes() {
    Random random = new Random(5);
    for (int i = 0; i < 20_000; i++) {
      Every value = randomEvery(random);
      byte[] payload = mapper.writeValueAsBytes(value);
      Object scanned = CborRecordScan.scan(every, payload, 0, payload.length);
      Every jackson = mapper.readerFor(Every.class).readValue(payload);
      boolean plain =
          value.name().chars().allMatch(c -> c < 0x80)
              && value.boxedId() != null
              && value.boxedCount() != null
              && value.boxedOn() != null
              && value.boxedScore() != null;
      if (plain) {
        assertThat(scanned).as("%s", HexFormat.of().formatHex(payload)).isNotNull();
      }
      if (scanned != null) {
        assertThat(scanned)
            .usingRecursiveComparison()
            .withEqualsForType(Double::equals, Double.class)
            .isEqualTo(jackson);
      }
      assertThat(codec.decode(Every.class, ByteBuffer.wrap(payload)))
          .usingRecursiveComparison()
          .withEqualsForType(Double::equals, Double.class)
          .isEqualTo(jackson);
    }
  }

  @Test
  void integersAtEveryWidthAreTakenInTheirShortestFormOnly() {
    PlainRecordReader small = PlainRecordReader.of(mapper, Small.class);
    long[] values = {
      0, 23, 24, 255, 256, 65_535, 65_536, Integer.MAX_VALUE, 1L << 31, (1L << 32) - 1, 1L << 32
    };
    for (long magnitude : values) {
      for (long n : new long[] {magnitude, -1 - magnitude}) {
        byte[] payload =
            mapper.writeValueAsBytes(new Every(n, n, 0, 0, false, false, 0, 0.0, "", new byte[0]));
        assertThat(CborRecordScan.scan(every, payload, 0, payload.length))
            .as("%d", n)
            .usingRecursiveComparison()
            .withEqualsForType(Double::equals, Double.class)
            .isEqualTo(mapper.readerFor(Every.class).readValue(payload));
        byte[] wider = wider(n);
        Object expected = n == (int) n ? new Small((int) n, "") : null;
        if (wider != null) {
          byte[] longer = concat(hex("a2 616e"), wider, hex("6173 60"));
          assertThat(CborRecordScan.scan(small, longer, 0, longer.length))
              .as("%d in more bytes than it needs", n)
              .isNull();
          sameOutcome(Small.class, longer);
        }
        byte[] shortest = concat(hex("a2 616e"), mapper.writeValueAsBytes(n), hex("6173 60"));
        assertThat(CborRecordScan.scan(small, shortest, 0, shortest.length))
            .as("%d in an int", n)
            .isEqualTo(expected);
        sameOutcome(Small.class, shortest);
      }
    }
    byte[] tooBig = hex("a2 616e 1b 8000000000000000 6173 60"); // 2^63
    assertThat(CborRecordScan.scan(small, tooBig, 0, tooBig.length)).isNull();
    sameOutcome(Small.class, tooBig);
  }

  /** {@code n} with its argument one size wider than it needs; null where there is none. */
  private static byte[] wider(long n) {
    int major = n < 0 ? 0x20 : 0;
    long argument = n < 0 ? -1 - n : n;
    if (argument < 256) {
      return concat(new byte[] {(byte) (major | 25)}, bigEndian(argument, 2));
    } else if (argument < 65_536) {
      return concat(new byte[] {(byte) (major | 26)}, bigEndian(argument, 4));
    } else if (argument < 1L << 32) {
      return concat(new byte[] {(byte) (major | 27)}, bigEndian(argument, 8));
    }
    return null;
  }

  private static byte[] bigEndian(long value, int bytes) {
    byte[] out = new byte[bytes];
    for (int i = bytes - 1; i >= 0; i--, value >>>= 8) {
      out[i] = (byte) value;
    }
    return out;
  }

  @Test
  void givesUpAnythingButTheStrictFormAndTheCodecStillDecodesItAsJacksonDoes() {
    PlainRecordReader small = PlainRecordReader.of(mapper, Small.class);
    assertThat(scan(small, "a2 616e 01 6173 6161")).isEqualTo(new Small(1, "a"));
    assertThat(scan(small, "bf 616e 01 6173 6161 ff")).isEqualTo(new Small(1, "a"));
    assertThat(scan(small, "bf 6173 6161 616e 01 ff")).isEqualTo(new Small(1, "a"));
    String[] notTaken = {
      "a2 616e 01 6173 6161 00", // a byte after the map
      "bf 616e 01 6173 6161", // no break
      "a3 616e 01 6173 6161 6178 01", // an unknown component
      "a2 616e 01 616e 02", // repeated, and one missing
      "a3 616e 01 6173 6161 616e 02", // repeated
      "a1 616e 01", // missing
      "a2 616e f6 6173 6161", // null
      "a2 616e f7 6173 6161", // undefined
      "a2 616e 01 6173 7f 6161 ff", // indefinite-length text
      "a2 616e 01 6173 62c3a9", // text beyond ASCII
      "a2 616e 01 6173 4161", // bytes for a string
      "a2 616e 01 6173 01", // a number for a string
      "a2 616e f93c00 6173 6161", // a half float for an int
      "a2 616e fb3ff0000000000000 6173 6161", // a double for an int
      "a2 616e 01 6173 d8 20 6161", // a tag
      "d9d9f7 a2 616e 01 6173 6161", // the self-describe tag
      "a2 416e 01 6173 6161", // a name in bytes
      "a2 01 01 6173 6161", // a number for a name
      "b8 02 616e 01 6173 6161", // a count in more bytes than it needs
      "a2 616e 1a 00000001 6173 6161", // an int in more bytes than it needs
      "a2 616e 01 6173 65 6161", // a string longer than the payload
      "a2 616e 01 6173 7b 7fffffffffffffff", // a string length beyond any payload
      "82 01 6161", // an array
      "",
    };
    for (String text : notTaken) {
      byte[] payload = hex(text);
      assertThat(CborRecordScan.scan(small, payload, 0, payload.length)).as(text).isNull();
      sameOutcome(Small.class, payload);
    }
  }

  @Test
  void readsBooleansDoublesAndRenamedComponentsAsJacksonDoes() {
    byte[] payload = hex("a1 65636166c3a9 18 2a");
    assertThat(
            CborRecordScan.scan(
                PlainRecordReader.of(mapper, Renamed.class), payload, 0, payload.length))
        .isEqualTo(new Renamed(42));
    Every nan = new Every(0, 0L, 0, 0, true, null, Double.NaN, -0.0, "", new byte[0]);
    byte[] withNull = mapper.writeValueAsBytes(nan);
    assertThat(CborRecordScan.scan(every, withNull, 0, withNull.length)).isNull(); // the null
    sameOutcome(Every.class, withNull);
    Every doubles =
        new Every(0, 0L, 0, 0, true, false, Double.NaN, -0.0, "\u0000\u007f", new byte[0]);
    byte[] bytes = mapper.writeValueAsBytes(doubles);
    assertThat(CborRecordScan.scan(every, bytes, 0, bytes.length))
        .usingRecursiveComparison()
        .withEqualsForType(Double::equals, Double.class)
        .isEqualTo(doubles);
  }

  @Test
  void decodesEveryMutationAsJacksonDoes() {
    Every ascii =
        new Every(-7L, 1L << 40, 42, -3, true, false, 2.5, -1e-3, "ab", new byte[] {1, 2});
    byte[] valid = mapper.writeValueAsBytes(ascii);
    Random random = new Random(11);
    int taken = 0;
    for (int i = 0; i < 50_000; i++) {
      byte[] payload = mutated(valid, random);
      Object scanned = CborRecordScan.scan(every, payload, 0, payload.length);
      if (scanned != null) {
        taken++;
        assertThat(scanned)
            .as(HexFormat.of().formatHex(payload))
            .usingRecursiveComparison()
            .withEqualsForType(Double::equals, Double.class)
            .isEqualTo(mapper.readerFor(Every.class).readValue(payload));
      }
      if (i % 10 == 0) {
        sameOutcome(Every.class, payload);
      }
    }
    assertThat(taken).as("mutations the scan took").isGreaterThan(1000);
  }

  /** One to three bytes replaced, inserted or dropped, or the payload cut short. */
  private static byte[] mutated(byte[] valid, Random random) {
    List<Byte> bytes = new ArrayList<>();
    for (byte b : valid) {
      bytes.add(b);
    }
    int changes = 1 + random.nextInt(3);
    for (int c = 0; c < changes && !bytes.isEmpty(); c++) {
      int at = random.nextInt(bytes.size());
      byte b = random.nextBoolean() ? (byte) random.nextInt(256) : (byte) (bytes.get(at) ^ 1);
      switch (random.nextInt(8)) {
        case 0 -> bytes.add(at, b);
        case 1 -> bytes.remove(at);
        case 2 -> bytes.subList(at, bytes.size()).clear();
        default -> bytes.set(at, b);
      }
    }
    byte[] out = new byte[bytes.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = bytes.get(i);
    }
    return out;
  }

  @Test
  void aConstructorThatRefusesIsRefusedInJacksonsWordsAndNothingIsLost() {
    Checked expected = new Checked(1, 2);
    byte[] good = mapper.writeValueAsBytes(expected);
    byte[] bad = hex("bf 636c6f77 03 6468696768 02 ff"); // {"low":3,"high":2}
    assertThat(codec.decode(Checked.class, ByteBuffer.wrap(good))).isEqualTo(expected);
    PlainRecordReaderTest.CHECKED_BUILT.set(0);
    assertThat(codec.decode(Checked.class, ByteBuffer.wrap(good))).isEqualTo(expected);
    assertThat(PlainRecordReaderTest.CHECKED_BUILT).hasValue(1); // read once, by the scan
    PlainRecordReaderTest.CHECKED_BUILT.set(0);
    assertThatThrownBy(() -> codec.decode(Checked.class, ByteBuffer.wrap(bad)))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("3 > 2");
    assertThat(PlainRecordReaderTest.CHECKED_BUILT)
        .hasValue(2); // the scan, then Jackson, which reports it: as in json
    assertThat(codec.decode(Checked.class, ByteBuffer.wrap(good))).isEqualTo(expected);
  }

  private static Object scan(PlainRecordReader reader, String hex) {
    byte[] payload = hex(hex);
    return CborRecordScan.scan(reader, payload, 0, payload.length);
  }

  private static Every randomEvery(Random random) {
    return new Every(
        randomLong(random),
        random.nextInt(10) == 0 ? null : randomLong(random),
        (int) randomLong(random),
        random.nextInt(10) == 0 ? null : (int) randomLong(random),
        random.nextBoolean(),
        random.nextInt(10) == 0 ? null : random.nextBoolean(),
        random.nextInt(4) == 0 ? random.nextLong() : Double.longBitsToDouble(random.nextLong()),
        random.nextInt(10) == 0 ? null : random.nextGaussian(),
        randomText(random),
        randomBytes(random));
  }

  /** A long of any magnitude, each number of significant bits equally likely, either sign. */
  private static long randomLong(Random random) {
    long value = random.nextLong() >>> random.nextInt(64);
    return random.nextBoolean() ? value : -1 - value;
  }

  private static String randomText(Random random) {
    String alphabet = "az\u0000\u001f\u007f\"\\\u00e9\u2028";
    char[] text = new char[random.nextInt(30)];
    boolean ascii = random.nextBoolean();
    for (int i = 0; i < text.length; i++) {
      text[i] = ascii ? (char) random.nextInt(0x80) : alphabet.charAt(random.nextInt(9));
    }
    return new String(text);
  }

  private static byte[] randomBytes(Random random) {
    byte[] bytes = new byte[random.nextInt(4) == 0 ? random.nextInt(300) : random.nextInt(30)];
    random.nextBytes(bytes);
    return bytes;
  }

  /**
   * The codec decodes {@code payload} to what Jackson reads from it, or refuses what it refuses.
   */
  private void sameOutcome(Class<?> type, byte[] payload) {
    Object expected;
    try {
      expected =
          CborPrescan.refusal(payload, 0, payload.length) != null
              ? null
              : mapper.readerFor(type).readValue(payload);
    } catch (RuntimeException e) {
      expected = null;
    }
    Object actual;
    try {
      actual = codec.decode(type, ByteBuffer.wrap(payload));
    } catch (CodecException e) {
      actual = null;
    }
    String text = HexFormat.of().formatHex(payload);
    if (expected == null) {
      assertThat(actual).as("refused by Jackson: %s", text).isNull();
    } else {
      assertThat(actual)
          .as("%s", text)
          .usingRecursiveComparison()
          .withEqualsForType(Double::equals, Double.class)
          .isEqualTo(expected);
    }
  }
}
