package dev.tether.codec.jackson;

import static dev.tether.codec.jackson.Codecs.CBOR;
import static dev.tether.codec.jackson.Codecs.JSON;
import static dev.tether.codec.jackson.Codecs.concat;
import static dev.tether.codec.jackson.Codecs.encode;
import static dev.tether.codec.jackson.Codecs.hex;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecLimits;
import dev.tether.codec.jackson.Messages.Echo;
import dev.tether.codec.jackson.Messages.Everything;
import dev.tether.codec.jackson.Messages.Holder;
import dev.tether.codec.jackson.Messages.Numbers;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.core.JacksonException;

/**
 * Malformed and malicious payloads end in a {@link CodecException}, quickly, and nothing else: the
 * Jackson-specific cases. Truncated, random and mutated payloads of every contract type, declared
 * lengths beyond the payload, deep nesting and class names in the payload are core's {@link
 * dev.tether.testing.HostileInputContract}, run by {@link JsonHostileInputTest} and {@link
 * CborHostileInputTest}.
 */
class JacksonHostileInputTest {
  private static final Duration QUICKLY = Duration.ofSeconds(2);

  /** Set by {@link Canary}'s static initializer, which runs if anything resolves its name. */
  private static final AtomicBoolean CANARY_INITIALIZED = new AtomicBoolean();

  /** A class no payload may make the codec load: {@code Class.forName} would initialize it. */
  static final class Canary {
    static {
      CANARY_INITIALIZED.set(true);
    }
  }

  /**
   * Shapes outside core's contract (which {@link JsonHostileInputTest} and {@link
   * CborHostileInputTest} run): {@code Object}, fields typed {@code Object}, Durations and maps of
   * records.
   */
  private static final List<Class<?>> TARGETS =
      List.of(Everything.class, Holder.class, Numbers.class, Object.class);

  static List<Codec> codecs() {
    return Codecs.both().toList();
  }

  /** Asserts that decoding fails with a CodecException within {@link #QUICKLY}, heap and direct. */
  private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(
      Codec codec, Class<?> type, byte[] payload) {
    return assertTimeoutPreemptively(QUICKLY, () -> assertRejectedNow(codec, type, payload));
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertRejectedNow(
      Codec codec, Class<?> type, byte[] payload) {
    ByteBuffer direct = ByteBuffer.allocateDirect(payload.length).put(payload).flip();
    assertThatThrownBy(() -> codec.decode(type, direct)).isInstanceOf(CodecException.class);
    return assertThatThrownBy(() -> codec.decode(type, ByteBuffer.wrap(payload)))
        .isInstanceOf(CodecException.class)
        .hasMessageStartingWith(
            codec.name() + " codec cannot decode " + payload.length + " bytes as " + type.getName())
        .hasCauseInstanceOf(JacksonException.class);
  }

  /** Decodes, allowing success or a CodecException, but failing the test on anything else. */
  private static boolean decodesOrRejects(Codec codec, Class<?> type, byte[] payload) {
    try {
      codec.decode(type, ByteBuffer.wrap(payload));
      return true;
    } catch (CodecException expected) {
      return false;
    }
  }

  @ParameterizedTest
  @MethodSource("codecs")
  void shouldRejectEveryTruncationOfValidMessage(Codec codec) {
    byte[] whole = encode(codec, JacksonCodecRoundTripTest.everything());

    // Hundreds of payloads, so a budget of several times QUICKLY for all of them together.
    assertTimeoutPreemptively(
        QUICKLY.multipliedBy(5),
        () -> {
          for (int length = 0; length < whole.length; length++) {
            assertRejectedNow(codec, Everything.class, Arrays.copyOf(whole, length));
          }
        });
  }

  @ParameterizedTest
  @MethodSource("codecs")
  void shouldNeverThrowAnythingButCodecExceptionOnRandomBytes(Codec codec) {
    Random random = new Random(0x7E7E7);
    int rejected = 0;
    int tries = 0;
    long deadline = System.nanoTime() + QUICKLY.multipliedBy(5).toNanos();
    for (int i = 0; i < 3_000; i++) {
      byte[] payload = new byte[random.nextInt(64)];
      random.nextBytes(payload);
      for (Class<?> type : TARGETS) {
        tries++;
        rejected += decodesOrRejects(codec, type, payload) ? 0 : 1;
      }
    }
    assertThat(System.nanoTime()).isLessThan(deadline);
    assertThat(rejected).isGreaterThan(tries * 9 / 10);
  }

  @ParameterizedTest
  @MethodSource("codecs")
  void shouldNeverThrowAnythingButCodecExceptionOnMutatedMessage(Codec codec) {
    byte[] valid = encode(codec, JacksonCodecRoundTripTest.everything());
    Random random = new Random(42);
    for (int i = 0; i < 3_000; i++) {
      byte[] payload = valid.clone();
      for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
        payload[random.nextInt(payload.length)] = (byte) random.nextInt(256);
      }
      decodesOrRejects(codec, Everything.class, payload);
    }
  }

  @Test
  void shouldRejectJsonNestedDeeperThanLimit() {
    byte[] brackets = "[".repeat(100_000).getBytes(UTF_8);

    assertRejected(JSON, Object.class, brackets).hasMessageContaining("nesting depth");
    assertRejected(JSON, Holder.class, concat("{\"value\":".getBytes(UTF_8), brackets))
        .hasMessageContaining("nesting depth");
    assertRejected(JSON, Numbers.class, concat("{\"items\":".getBytes(UTF_8), brackets))
        .hasMessageContaining("nesting depth");
  }

  @Test
  void shouldRejectJsonNestedOneLevelPastLimitButAcceptTheLimit() {
    int limit = CodecLimits.DEFAULT_MAX_DEPTH; // the record's own object is one level
    String atLimit = "[".repeat(limit - 1) + "]".repeat(limit - 1);
    String pastLimit = "[".repeat(limit) + "]".repeat(limit);

    assertThat(Codecs.decode(JSON, Holder.class, ("{\"value\":" + atLimit + "}").getBytes(UTF_8)))
        .isNotNull();
    assertRejected(JSON, Holder.class, ("{\"value\":" + pastLimit + "}").getBytes(UTF_8))
        .hasMessageContaining("nesting depth");
  }

  @Test
  void shouldRejectCborNestedDeeperThanLimit() {
    byte[] arrays = new byte[100_000];
    Arrays.fill(arrays, (byte) 0x81); // array of 1 element, again and again

    assertRejected(CBOR, Object.class, arrays).hasMessageContaining("nesting depth");
    assertRejected(CBOR, Holder.class, concat(hex("a1 65 76616c7565"), arrays)) // {"value":
        .hasMessageContaining("nesting depth");
  }

  @Test
  void shouldRejectCborTextLongerThanStringLimit() {
    byte[] text = new byte[JacksonMappers.MAX_STRING_LENGTH + 1];
    Arrays.fill(text, (byte) 'a');
    byte[] payload =
        concat(hex("a1 64 74657874 7a"), hex(String.format("%08x", text.length)), text);

    assertRejected(CBOR, Echo.class, payload).hasMessageContaining("String value length");
  }

  @Test
  void shouldRejectJsonNumberLongerThanLimit() {
    String digits = "9".repeat(JacksonMappers.MAX_NUMBER_LENGTH + 1);

    assertRejected(JSON, Holder.class, ("{\"value\":" + digits + "}").getBytes(UTF_8))
        .hasMessageContaining("Number value length");
    assertRejected(JSON, Echo.class, ("{\"seq\":" + "1".repeat(1_000_000) + "}").getBytes(UTF_8))
        .hasMessageContaining("Number value length");
  }

  @Test
  void shouldRejectNonJsonSyntax() {
    assertRejected(JSON, Echo.class, "{'text':'hi'}".getBytes(UTF_8));
    assertRejected(JSON, Echo.class, "{\"seq\":NaN}".getBytes(UTF_8));
    assertRejected(JSON, Echo.class, "{\"seq\":1,}".getBytes(UTF_8));
    assertRejected(JSON, Echo.class, "/* c */ {}".getBytes(UTF_8));
    assertRejected(JSON, Echo.class, hex("7b 22 74 65 78 74 22 3a 22 ff fe 22 7d")); // bad UTF-8
  }

  /**
   * The shapes in which Jackson's polymorphic typing names a class — a wrapper array, an
   * {@code @class} property, a wrapper object — at the top and inside a field typed {@code Object}.
   * None may make the codec resolve the name: where the target type allows, they decode as plain
   * strings, lists and maps; otherwise they fail. Either way {@link Canary} is never initialized.
   */
  @ParameterizedTest
  @MethodSource("codecs")
  void shouldNeverResolveAClassNamedInThePayload(Codec codec) {
    String canary = Canary.class.getName();
    List<Object> wrapperArray = List.of(canary, Map.of());
    Map<String, Object> classProperty = Map.of("@class", canary, "text", "x");
    Map<String, Object> wrapperObject = Map.of(canary, Map.of("text", "x"));

    for (Object shape : List.of(wrapperArray, classProperty, wrapperObject)) {
      byte[] top = Codecs.encodePlain(codec, shape);
      byte[] inField = Codecs.encodePlain(codec, new Holder(shape));
      for (Class<?> type : List.of(Echo.class, Holder.class, Everything.class, Object.class)) {
        decodesOrRejects(codec, type, top);
        decodesOrRejects(codec, type, inField);
      }
    }

    assertThat(Codecs.decode(codec, Holder.class, encode(codec, new Holder(wrapperArray))).value())
        .isEqualTo(wrapperArray);
    assertThat(Codecs.decode(codec, Echo.class, Codecs.encodePlain(codec, classProperty)))
        .isEqualTo(new Echo("x", 0));
    assertThat(CANARY_INITIALIZED).as("Canary was initialized by a decode").isFalse();
  }
}
