package dev.tether.codec.jackson;

import static dev.tether.codec.jackson.Codecs.decode;
import static dev.tether.codec.jackson.Codecs.encode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.EncodeBuffer;
import dev.tether.codec.jackson.Messages.Color;
import dev.tether.codec.jackson.Messages.Echo;
import dev.tether.codec.jackson.Messages.Everything;
import dev.tether.codec.jackson.Messages.Exploding;
import dev.tether.codec.jackson.Messages.Ping;
import dev.tether.codec.jackson.Messages.Point;
import dev.tether.codec.jackson.Messages.Tree;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class JacksonCodecRoundTripTest {
  static List<Codec> codecs() {
    return Codecs.both().toList();
  }

  static Everything everything() {
    Map<String, Point> byName = new LinkedHashMap<>();
    byName.put("origin", new Point(0, 0, Color.RED));
    byName.put("ünïcödé ключ 🔑", new Point(-1, Integer.MAX_VALUE, null));
    Map<String, List<Integer>> nested = new LinkedHashMap<>();
    nested.put("empty", List.of());
    nested.put("some", List.of(Integer.MIN_VALUE, 0, Integer.MAX_VALUE));
    return new Everything(
        "hello",
        "",
        null,
        "grüße, 你好, Привет",
        "astral \uD83D\uDE00 𝄞 𠜎", // emoji, musical G clef, CJK extension B
        Long.MIN_VALUE,
        Long.MAX_VALUE,
        -42,
        Short.MIN_VALUE,
        Double.NaN,
        -0.0,
        Double.NEGATIVE_INFINITY,
        0.1f,
        true,
        null,
        new byte[0],
        new byte[] {0, 1, (byte) 0x7F, (byte) 0x80, (byte) 0xFF},
        null,
        Instant.parse("2024-05-01T12:00:00.123456789Z"),
        Duration.ofSeconds(1, 500_000_000),
        UUID.fromString("123e4567-e89b-12d3-a456-426614174000"),
        Color.GREEN,
        new Point(3, 4, Color.RED),
        new Tree("root", List.of(new Tree("leaf", List.of()), new Tree("empty", null))),
        List.of(new Point(1, 2, Color.GREEN), new Point(5, 6, Color.RED)),
        Arrays.asList("a", null, ""),
        byName,
        nested);
  }

  @ParameterizedTest
  @MethodSource("codecs")
  void shouldRoundTripEveryValueOfTheDataModel(Codec codec) {
    Everything sent = everything();

    Everything received = decode(codec, Everything.class, encode(codec, sent));

    assertSameContent(received, sent);
    assertThat(Double.doubleToRawLongBits(received.negativeZero()))
        .isEqualTo(Double.doubleToRawLongBits(-0.0));
    assertThat(received.astral()).isEqualTo(sent.astral());
    assertThat(received.min()).isEqualTo(Long.MIN_VALUE);
    assertThat(received.noBytes()).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("codecs")
  void shouldRoundTripRecordWithoutComponents(Codec codec) {
    assertThat(decode(codec, Ping.class, encode(codec, new Ping()))).isEqualTo(new Ping());
  }

  // Round trips of every value the contract covers, from heap, direct and embedded buffers, and
  // appending to a buffer that already holds a header, are in core's CodecContract, which
  // JsonCodecContractTest and CborCodecContractTest run. What follows is Jackson's own.

  @ParameterizedTest
  @MethodSource("codecs")
  void shouldLeaveTheBuffersPositionAndLimitWhereTheyWere(Codec codec) {
    byte[] message = encode(codec, new Echo("hi", 1));
    ByteBuffer heap =
        ByteBuffer.wrap(Codecs.concat(new byte[3], message, new byte[4]), 3, message.length);
    ByteBuffer direct = ByteBuffer.allocateDirect(message.length + 7);
    direct.position(3).put(message).flip().position(3);

    for (ByteBuffer payload : List.of(heap, direct)) {
      assertThat(codec.decode(Echo.class, payload)).isEqualTo(new Echo("hi", 1));
      assertThat(payload.position()).isEqualTo(3);
      assertThat(payload.limit()).isEqualTo(3 + message.length);
    }
  }

  @ParameterizedTest
  @MethodSource("codecs")
  void shouldFailEncodingWithCodecExceptionAndLeaveBufferAsItWas(Codec codec) {
    EncodeBuffer out = new EncodeBuffer(16);
    out.write(new byte[] {1, 2}, 0, 2);

    assertThatThrownBy(() -> codec.encode(new Exploding("x"), out))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining(codec.name() + " codec cannot encode " + Exploding.class.getName())
        .hasMessageContaining("accessor exploded");
    assertThat(out.position()).isEqualTo(2);
  }

  @ParameterizedTest
  @MethodSource("codecs")
  void shouldFailEncodingCyclicGraphAtTheDepthLimit(Codec codec) {
    List<Object> cycle = new ArrayList<>();
    cycle.add(cycle);

    assertThatThrownBy(() -> encode(codec, new Messages.Holder(cycle)))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("nesting depth");
  }

  @ParameterizedTest
  @MethodSource("codecs")
  void shouldRefuseToEncodeNull(Codec codec) {
    assertThatThrownBy(() -> encode(codec, null))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("cannot encode null");
  }

  /**
   * Compares field by field, arrays by content, and floating point with {@code equals}, so that NaN
   * equals NaN and -0.0 does not equal 0.0 (AssertJ's default compares with a precision instead).
   */
  static void assertSameContent(Object actual, Object expected) {
    assertThat(actual)
        .usingRecursiveComparison()
        .withEqualsForType(Double::equals, Double.class)
        .withEqualsForType(Float::equals, Float.class)
        .isEqualTo(expected);
  }
}
