package dev.tether.codec.jackson;

import static dev.tether.codec.jackson.Codecs.CBOR;
import static dev.tether.codec.jackson.Codecs.JSON;
import static dev.tether.codec.jackson.Codecs.decode;
import static dev.tether.codec.jackson.Codecs.encode;
import static dev.tether.codec.jackson.Codecs.hex;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URL;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Values come back as they were sent or not at all: zones and offsets kept, numbers never guessed
 * at, and what a reader refuses refused by the writer first, in the reader's words.
 */
class JacksonFidelityTest {
  record Times(Instant at, Duration took) {}

  record Count(long value) {}

  record Day(LocalDate day) {}

  record Zoned(ZonedDateTime at, OffsetDateTime offset) {}

  record Numbers(BigDecimal decimal, BigInteger integer) {}

  record Named(String text, java.util.Map<String, Integer> counts) {}

  record Link(URL url) {}

  record Links(Set<URL> urls) {}

  /** What a peer without the refusal writes for {@code Link} and {@code Links}: the URLs' text. */
  record LinkTexts(String url, List<String> urls) {}

  record Typed(Class<?> type) {}

  record Typeds(List<Class<?>> types) {}

  /** What a peer without the refusal writes for {@code Typed} and {@code Typeds}: class names. */
  record TypeNames(String type, List<String> types) {}

  /** Named by a hostile payload below; nothing may load it. */
  static final class NeverLoaded {}

  static List<Codec> codecs() {
    return Codecs.both().toList();
  }

  @ParameterizedTest
  @MethodSource("codecs")
  void aUrlIsRefusedOnBothEndsForItsEqualsLooksItsHostUp(Codec codec) throws Exception {
    // An IP literal, so that nothing here asks DNS even if the refusal regressed.
    URL url = new URL("http://127.0.0.1/");

    for (Object message : List.of(new Link(url), new Links(new HashSet<>(List.of(url))))) {
      assertThatThrownBy(() -> encode(codec, message))
          .as("encoding %s", message)
          .isExactlyInstanceOf(CodecException.class)
          .hasMessageContaining("class java.net.URL is not carried")
          .hasMessageContaining("use java.net.URI");
    }
    byte[] fromPeer =
        encode(codec, new LinkTexts("http://127.0.0.1/", List.of("http://127.0.0.2/")));
    for (Class<?> type : List.of(Link.class, Links.class)) {
      assertThatThrownBy(() -> codec.decode(type, ByteBuffer.wrap(fromPeer)))
          .as("decoding %s", type.getSimpleName())
          .isExactlyInstanceOf(CodecException.class)
          .hasMessageContaining("class java.net.URL is not carried")
          .hasMessageContaining("look its host up in DNS");
    }
  }

  @ParameterizedTest
  @MethodSource("codecs")
  void aClassIsRefusedOnBothEndsForReadingOneLoadsTheClassThePeerNames(Codec codec) {
    for (Object message : List.of(new Typed(String.class), new Typeds(List.of(String.class)))) {
      assertThatThrownBy(() -> encode(codec, message))
          .as("encoding %s", message)
          .isExactlyInstanceOf(CodecException.class)
          .hasMessageContaining("class java.lang.Class is not carried");
    }
    String hostile = NeverLoaded.class.getName();
    byte[] fromPeer = encode(codec, new TypeNames(hostile, List.of(hostile)));
    Thread thread = Thread.currentThread();
    ClassLoader original = thread.getContextClassLoader();
    List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
    thread.setContextClassLoader(
        new ClassLoader(original) {
          @Override
          protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            asked.add(name);
            return super.loadClass(name, resolve);
          }
        });
    try {
      for (Class<?> type : List.of(Typed.class, Typeds.class)) {
        assertThatThrownBy(() -> codec.decode(type, ByteBuffer.wrap(fromPeer)))
            .as("decoding %s", type.getSimpleName())
            .isExactlyInstanceOf(CodecException.class)
            .hasMessageContaining("class java.lang.Class is not carried")
            .hasMessageContaining("load whatever class the peer names");
      }
    } finally {
      thread.setContextClassLoader(original);
    }
    assertThat(asked).as("classes the decoder asked a class loader for").doesNotContain(hostile);
  }

  @ParameterizedTest
  @MethodSource("codecs")
  void keepsTheZoneOfAZonedDateTimeAndTheOffsetOfAnOffsetDateTime(Codec codec) {
    Zoned sent =
        new Zoned(
            ZonedDateTime.of(2024, 10, 27, 2, 30, 0, 5, ZoneId.of("Europe/Paris"))
                .withLaterOffsetAtOverlap(),
            OffsetDateTime.of(2024, 5, 1, 12, 0, 0, 0, ZoneOffset.ofHoursMinutes(5, 30)));

    Zoned received = decode(codec, Zoned.class, encode(codec, sent));

    assertThat(received).isEqualTo(sent);
    assertThat(received.at().getZone()).isEqualTo(ZoneId.of("Europe/Paris"));
    assertThat(received.at().getOffset()).isEqualTo(ZoneOffset.ofHours(1));
    assertThat(received.offset().getOffset()).isEqualTo(ZoneOffset.ofHoursMinutes(5, 30));
  }

  @Test
  void writesAZonedDateTimeWithItsOffsetAndZoneId() {
    Zoned sent =
        new Zoned(
            ZonedDateTime.of(2024, 5, 1, 12, 0, 0, 0, ZoneId.of("Europe/Paris")),
            OffsetDateTime.of(2024, 5, 1, 12, 0, 0, 0, ZoneOffset.ofHoursMinutes(5, 30)));

    assertThat(new String(encode(JSON, sent), UTF_8))
        .isEqualTo(
            "{\"at\":\"2024-05-01T12:00:00+02:00[Europe/Paris]\","
                + "\"offset\":\"2024-05-01T12:00:00+05:30\"}");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"at\":1e999999999}", // was the epoch
        "{\"at\":12345}", // seconds or milliseconds? was seconds
        "{\"took\":1e999999999}", // was zero
        "{\"took\":5}",
        "{\"took\":[1,2]}"
      })
  void refusesANumberForATimeTypeInsteadOfGuessingAtIt(String json) {
    assertThatThrownBy(() -> decode(JSON, Times.class, json.getBytes(UTF_8)))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("must be an ISO-8601 string");
  }

  @Test
  void refusesANumberForATimeTypeInCborToo() {
    // {"at": 1.5} as CBOR: a map of one pair, "at", a half-precision float.
    byte[] payload = hex("a1 62 6174 f9 3e00");

    assertThatThrownBy(() -> decode(CBOR, Times.class, payload))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("Instant must be an ISO-8601 string");
  }

  @Test
  void refusesADateAsAnArrayOfNumbers() {
    assertThatThrownBy(() -> decode(JSON, Day.class, "{\"day\":[2024,5,1]}".getBytes(UTF_8)))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("LocalDate must be an ISO-8601 string");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1e-999999999", "1.5", "1e2", "-0.5"})
  void refusesAFractionForAnIntegerInsteadOfTruncatingIt(String number) {
    byte[] payload = ("{\"value\":" + number + "}").getBytes(UTF_8);

    assertThatThrownBy(() -> decode(JSON, Count.class, payload))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("Cannot coerce Floating-point value");
  }

  @Test
  void stillReadsIntegersAndTimesWrittenTheUsualWay() {
    assertThat(decode(JSON, Count.class, "{\"value\":-12}".getBytes(UTF_8)).value()).isEqualTo(-12);
    assertThat(decode(JSON, Times.class, "{\"at\":\"1970-01-01T00:00:01Z\"}".getBytes(UTF_8)))
        .isEqualTo(new Times(Instant.ofEpochSecond(1), null));
  }

  @Test
  void refusesToWriteANumberTheReaderWouldRefuseInTheReadersWords() {
    BigInteger digits257 = BigInteger.TEN.pow(256);
    Numbers big = new Numbers(null, digits257);

    assertThatThrownBy(() -> encode(JSON, big))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageStartingWith("json codec cannot encode " + Numbers.class.getName())
        .hasMessageContaining("a number of 257 digits is longer than the limit of 256");
    // The reader's own refusal of the same number, for comparison:
    String json = "{\"integer\":" + digits257 + "}";
    assertThatThrownBy(() -> decode(JSON, Numbers.class, json.getBytes(UTF_8)))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining("Number value length (257) exceeds the maximum allowed (256");
  }

  @ParameterizedTest
  @MethodSource("codecs")
  void refusesToWriteAMapKeyHoldingHalfASurrogatePair(Codec codec) {
    // a fuzzer found json decoding such a key leniently from bytes that are not UTF-8, then
    // encoding it into bytes that its own reader refused
    for (String key : List.of("k\uDC3D", "cut\uD83D", "\uDC00\uD800")) {
      Named sent = new Named("x", java.util.Map.of(key, 1));
      assertThatThrownBy(() -> encode(codec, sent))
          .as("%s", sent)
          .isExactlyInstanceOf(CodecException.class)
          .hasMessageContaining("a property name or map key holds an unpaired surrogate (U+");
    }
    Named pairs = new Named("\uD83D\uDE00", java.util.Map.of("k\uD83D\uDE00", 1));
    assertThat(decode(codec, Named.class, encode(codec, pairs))).isEqualTo(pairs);
  }

  @Test
  void writesTheLongestNumberTheReaderTakes() {
    Numbers longest =
        new Numbers(new BigDecimal(BigInteger.TEN.pow(255), 100), BigInteger.TEN.pow(255));

    assertThat(decode(JSON, Numbers.class, encode(JSON, longest))).isEqualTo(longest);
  }

  @Test
  void refusesToWriteADecimalWhoseExponentTheReaderCannotHold() {
    Numbers huge = new Numbers(new BigDecimal(BigInteger.ONE, Integer.MIN_VALUE), null);

    assertThatThrownBy(() -> encode(JSON, huge))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining("the number 1E+2147483648 cannot be read back");
    assertThat(decode(CBOR, Numbers.class, encode(CBOR, huge))).isEqualTo(huge);
  }

  @Test
  void decodesTheSameFromDirectAndReadOnlyBuffersWithoutMovingThem() {
    Zoned sent =
        new Zoned(ZonedDateTime.of(2024, 1, 1, 0, 0, 0, 0, ZoneId.of("Asia/Kolkata")), null);
    byte[] payload = encode(CBOR, sent);
    ByteBuffer direct = ByteBuffer.allocateDirect(payload.length + 4).position(2);
    direct.put(payload).position(2).limit(2 + payload.length);
    ByteBuffer readOnly = ByteBuffer.wrap(payload).asReadOnlyBuffer();

    assertThat(CBOR.decode(Zoned.class, direct)).isEqualTo(sent);
    assertThat(CBOR.decode(Zoned.class, readOnly)).isEqualTo(sent);
    assertThat(direct.position()).isEqualTo(2);
    assertThat(readOnly.position()).isZero();
  }
}
