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
import dev.tether.codec.jackson.Messages.Blob;
import dev.tether.codec.jackson.Messages.Echo;
import dev.tether.codec.jackson.Messages.Everything;
import dev.tether.codec.jackson.Messages.Holder;
import dev.tether.codec.jackson.Messages.Numbers;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.assertj.core.api.AbstractThrowableAssert;
import tools.jackson.core.JacksonException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Malformed and malicious payloads end in a {@link CodecException}, quickly, and nothing else. */
class JacksonHostileInputTest {
  private static final Duration QUICKLY = Duration.ofSeconds(2);
  private static final List<Class<?>> TARGETS =
      List.of(Echo.class, Everything.class, Blob.class, Holder.class, Numbers.class, Object.class);

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
  void shouldRejectEmptyPayload(Codec codec) {
    assertRejected(codec, Echo.class, new byte[0]);
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
    String atLimit = "[".repeat(499) + "]".repeat(499); // plus the record's own object: 500
    String pastLimit = "[".repeat(500) + "]".repeat(500);

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
  void shouldRejectCborByteStringDeclaringMoreBytesThanPresent() {
    byte[] dataKey = hex("a1 64 64617461"); // map of 1 pair, text(4) "data"

    // bytes with a 4-byte length of 2^31, then 3 bytes
    assertRejected(CBOR, Blob.class, concat(dataKey, hex("5a 80000000 010203")));
    // bytes with a 4-byte length of 2^31-1, then 3 bytes
    assertRejected(CBOR, Blob.class, concat(dataKey, hex("5a 7fffffff 010203")));
    // bytes with a 4-byte length of 2^24-1, then 3 bytes
    assertRejected(CBOR, Blob.class, concat(dataKey, hex("5a 00ffffff 010203")));
    // bytes with an 8-byte length of 2^63-1
    assertRejected(CBOR, Blob.class, concat(dataKey, hex("5b 7fffffffffffffff 010203")));
    // bytes with an 8-byte length of 2^64-1
    assertRejected(CBOR, Blob.class, concat(dataKey, hex("5b ffffffffffffffff 010203")));
  }

  @Test
  void shouldRejectCborTextAndContainersDeclaringMoreThanPresent() {
    byte[] textKey = hex("a1 64 74657874"); // map of 1 pair, text(4) "text"
    byte[] itemsKey = hex("a1 65 6974656d73"); // map of 1 pair, text(5) "items"

    // text with a 4-byte length of 2^31-1, then "abc"
    assertRejected(CBOR, Echo.class, concat(textKey, hex("7a 7fffffff 616263")));
    // text with a 4-byte length of 2^24-1, inside the string limit, then "abc"
    assertRejected(CBOR, Echo.class, concat(textKey, hex("7a 00ffffff 616263")));
    // array with a 4-byte count of 2^31-1, then three 1s
    assertRejected(CBOR, Numbers.class, concat(itemsKey, hex("9a 7fffffff 010101")));
    // array with an 8-byte count of 2^64-1
    assertRejected(CBOR, Numbers.class, concat(itemsKey, hex("9b ffffffffffffffff 01")));
    // a map declaring 2^31-1 pairs
    assertRejected(CBOR, Echo.class, hex("ba 7fffffff 64 74657874 61 61"));
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
}
