package dev.tether.codec.jackson;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecLimits;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.ObjectReader;

/**
 * Small JSON objects read by the thread's reused parser ({@link ReusedParser}) decode exactly as
 * the codec's own parser decodes them, and every payload it does not take whole goes to that
 * parser.
 */
class ReusedParserTest {
  record Point(int x, int y) {}

  record Shape(String name, Point origin, List<Point> path, Map<String, Integer> tags) {}

  private final ObjectMapper mapper = JacksonMappers.json(CodecLimits.defaults());
  private final Codec codec = new JacksonCodec("json", mapper);
  private final ObjectReader reference = mapper.readerFor(Shape.class);

  private final Shape sample =
      new Shape(
          "route", new Point(1, -2), List.of(new Point(3, 4), new Point(5, 6)), Map.of("a", 1));

  @Test
  void decodesLikeTheCodecsOwnParserForEveryTruncationAndMutation() {
    byte[] valid = mapper.writeValueAsBytes(sample);
    assertThat(valid.length).isLessThanOrEqualTo(ReusedParser.MAX_BYTES);
    assertThat(decode(valid)).isEqualTo(sample); // first by the codec's parser, then reused
    assertThat(decode(valid)).isEqualTo(sample);
    for (int length = 1; length < valid.length; length++) {
      byte[] cut = java.util.Arrays.copyOf(valid, length);
      cut[length - 1] = '}'; // ends as a whole object would
      sameOutcome(cut);
    }
    Random random = new Random(7);
    for (int i = 0; i < 3000; i++) {
      sameOutcome(mutated(valid, random, " {}[],:\"0-9a\\e"));
      assertThat(decode(valid)).isEqualTo(sample); // the reused parser is sound after a failure
    }
  }

  record Labelled(String label, List<String> tags) {}

  @Test
  void readsNegativeZeroAsTextAsJacksonsOtherParsersDo() {
    ObjectReader labelled = mapper.readerFor(Labelled.class);
    for (String payload :
        List.of(
            "{\"label\":\"x\",\"tags\":[]}", // the type's first decode, by the codec's own parser
            "{\"label\":-0,\"tags\":[-0]}",
            "{\"label\":-0 ,\"tags\":[ -0 ]}",
            "{\"label\":-0.0,\"tags\":[\"-0\",-0e0,-0E1]}",
            "{\"label\":\"a-0\",\"tags\":[-10,-01]}")) {
      byte[] bytes = payload.getBytes(UTF_8);
      Object expected;
      try {
        expected = labelled.readValue(bytes);
      } catch (RuntimeException e) {
        expected = null;
      }
      Object actual;
      try {
        actual = codec.decode(Labelled.class, ByteBuffer.wrap(bytes));
      } catch (CodecException e) {
        actual = null;
      }
      assertThat(actual).as(payload).isEqualTo(expected);
    }
    assertThat(labelled.<Labelled>readValue("{\"label\":-0,\"tags\":[-0]}"))
        .isEqualTo(new Labelled("-0", List.of("-0"))); // what the codec must keep
  }

  @Test
  void refusesWhatFollowsTheObject() {
    for (String payload : List.of("{\"x\":1,\"y\":2} {}", "{\"x\":1,\"y\":2}{}", "{} {\"x\":1}")) {
      byte[] bytes = payload.getBytes(UTF_8);
      assertThatThrownBy(() -> codec.decode(Point.class, ByteBuffer.wrap(bytes)))
          .isInstanceOf(CodecException.class)
          .hasMessageContaining("json codec cannot decode");
    }
  }

  @Test
  void keepsDecodingPastTheParsersReplacement() {
    byte[] first = "{\"x\":0,\"y\":0}".getBytes(UTF_8);
    codec.decode(Point.class, ByteBuffer.wrap(first));
    long fed = 0;
    for (int i = 0; fed < 3 * ReusedParser.REPLACE_AFTER_BYTES; i++) {
      byte[] payload = ("{\"x\":" + i + ",\"y\":" + -i + "}").getBytes(UTF_8);
      assertThat(codec.decode(Point.class, ByteBuffer.wrap(payload))).isEqualTo(new Point(i, -i));
      fed += payload.length;
    }
  }

  /** A codec of its own, so that a record's constructor can decode with it: see below. */
  private static final Codec REENTERED =
      new JacksonCodec("json", JacksonMappers.json(CodecLimits.defaults()));

  private static final AtomicInteger NESTED_BUILT = new AtomicInteger();

  /** Decodes a {@link Point} from its constructor, with the codec that is decoding it. */
  record Nested(String point, int sum) {
    Nested {
      NESTED_BUILT.incrementAndGet();
      Point p = REENTERED.decode(Point.class, ByteBuffer.wrap(point.getBytes(UTF_8)));
      if (p.x() + p.y() != sum) {
        throw new IllegalArgumentException(p + " does not add up to " + sum);
      }
    }
  }

  @Test
  void aDecodeInsideADecodeOnTheSameThreadGetsAParserOfItsOwn() {
    byte[] point = "{\"x\":1,\"y\":2}".getBytes(UTF_8);
    assertThat(REENTERED.decode(Point.class, ByteBuffer.wrap(point))).isEqualTo(new Point(1, 2));
    for (int i = 0; i < 5; i++) {
      // from the second on, the outer record is read by the reused parser, which is busy then
      Nested expected = new Nested("{\"x\":" + i + ",\"y\":3}", i + 3);
      byte[] payload = mapper.writeValueAsBytes(expected);
      assertThat(payload.length).isLessThanOrEqualTo(ReusedParser.MAX_BYTES);
      NESTED_BUILT.set(0);
      assertThat(REENTERED.decode(Nested.class, ByteBuffer.wrap(payload))).isEqualTo(expected);
      // read once: a reused parser taken over by the inner decode would fail the outer one, which
      // a parser of the codec's own would then read again
      assertThat(NESTED_BUILT).hasValue(1);
      assertThat(REENTERED.decode(Point.class, ByteBuffer.wrap(point))).isEqualTo(new Point(1, 2));
    }
  }

  /**
   * Returns {@code valid} with one to three of its bytes, never the first or last, replaced by
   * bytes drawn from {@code bytes}.
   */
  static byte[] mutated(byte[] valid, Random random, String bytes) {
    byte[] mutated = valid.clone();
    int changes = 1 + random.nextInt(3);
    for (int c = 0; c < changes; c++) {
      mutated[1 + random.nextInt(mutated.length - 2)] =
          (byte) bytes.charAt(random.nextInt(bytes.length()));
    }
    return mutated;
  }

  private void sameOutcome(byte[] payload) {
    Object expected;
    try {
      expected = reference.readValue(payload);
    } catch (RuntimeException e) {
      expected = e.getClass();
    }
    Object actual =
        assertTimeoutPreemptively(
            Duration.ofSeconds(5),
            () -> {
              try {
                return (Object) decode(payload);
              } catch (CodecException e) {
                return null;
              }
            },
            () -> "decoding " + new String(payload, UTF_8));
    if (expected instanceof Class<?>) {
      assertThat(actual)
          .as("refused by the codec's parser: %s", new String(payload, UTF_8))
          .isNull();
    } else {
      assertThat(Objects.equals(actual, expected))
          .as("%s decoded as %s, not %s", new String(payload, UTF_8), actual, expected)
          .isTrue();
    }
  }

  private Shape decode(byte[] payload) {
    return codec.decode(Shape.class, ByteBuffer.wrap(payload));
  }
}
