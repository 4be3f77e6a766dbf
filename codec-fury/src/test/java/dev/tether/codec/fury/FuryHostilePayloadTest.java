package dev.tether.codec.fury;

import static dev.tether.codec.fury.ForyPayloads.LATIN1;
import static dev.tether.codec.fury.ForyPayloads.UTF16;
import static dev.tether.codec.fury.ForyPayloads.UTF8;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecLimits;
import dev.tether.testing.ContractCodecs;
import dev.tether.testing.ContractTypes;
import dev.tether.testing.ContractTypes.Bytes;
import dev.tether.testing.ContractTypes.Circle;
import dev.tether.testing.ContractTypes.Color;
import dev.tether.testing.ContractTypes.Deep;
import dev.tether.testing.ContractTypes.Nested;
import dev.tether.testing.ContractTypes.Point;
import dev.tether.testing.ContractTypes.Square;
import dev.tether.testing.ContractTypes.Text;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code fury} codec's answers to payloads only Fory can craft, with the exact reason: the
 * fixtures of {@link ForyPayloads} decode when their declared length is honest, and fail at the
 * length check, without allocating it, when it is not.
 */
class FuryHostilePayloadTest {
  private static final Codec CODEC = ContractCodecs.codec("fury");

  /** Far below the contract's 16 MiB: a declared 2 GiB must cost what parsing a few bytes costs. */
  private static final long MAX_ALLOCATED_BYTES = 64 * 1024;

  private static Object decode(Class<?> type, byte[] payload) {
    return CODEC.decode(type, ByteBuffer.wrap(payload));
  }

  private static long allocatedBytesDecoding(Class<?> type, byte[] payload) {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    ByteBuffer buffer = ByteBuffer.wrap(payload);
    decodeOrNull(type, buffer); // warm up: first-use costs are not the payload's
    long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
    decodeOrNull(type, buffer);
    return threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
  }

  private static Object decodeOrNull(Class<?> type, ByteBuffer buffer) {
    try {
      return CODEC.decode(type, buffer);
    } catch (CodecException expected) {
      return null;
    }
  }

  // ---------------------------------------------------------------- the fixtures are honest

  @Test
  void fixturesWithHonestLengthsDecodeToWhatTheySay() {
    assertThat(decode(Text.class, ForyPayloads.text(3, LATIN1))).isEqualTo(new Text("abc", null));
    assertThat(decode(Bytes.class, ForyPayloads.byteArray(3)))
        .isEqualTo(new Bytes(new byte[] {1, 2, 3}));
    assertThat(decode(Nested.class, ForyPayloads.nestedPath(1)))
        .isEqualTo(new Nested("n", null, List.of(new Point(1, 2, Color.RED)), null));
    assertThat(decode(ContractTypes.Collections.class, ForyPayloads.names(3)))
        .isEqualTo(new ContractTypes.Collections(List.of("a", "a", "a"), null, null, null));
    assertThat(decode(ContractTypes.Collections.class, ForyPayloads.counts(1)))
        .isEqualTo(new ContractTypes.Collections(null, null, Map.of("a", 1L), null));
    assertThat(decode(ContractTypes.Collections.class, ForyPayloads.ids(3)))
        .isEqualTo(
            new ContractTypes.Collections(null, new LinkedHashSet<>(List.of(1, 2, 3)), null, null));
    assertThat(decode(Deep.class, ForyPayloads.deep(3)))
        .isEqualTo(new Deep(new Deep(new Deep(null))));
  }

  @Test
  void fixturesMatchWhatTheCodecWrites() {
    assertThat(ForyPayloads.names(1))
        .isEqualTo(
            ContractCodecs.encode(
                CODEC,
                new ContractTypes.Collections(new ArrayList<>(List.of("a")), null, null, null)));
    assertThat(ForyPayloads.ids(1))
        .isEqualTo(
            ContractCodecs.encode(
                CODEC,
                new ContractTypes.Collections(
                    null, new java.util.HashSet<>(List.of(1)), null, null)));
    assertThat(ForyPayloads.nestedPath(1))
        .isEqualTo(
            ContractCodecs.encode(
                CODEC,
                new Nested("n", null, new ArrayList<>(List.of(new Point(1, 2, Color.RED))), null)));
    assertThat(ForyPayloads.counts(1))
        .isEqualTo(
            ContractCodecs.encode(
                CODEC,
                new ContractTypes.Collections(null, null, new HashMap<>(Map.of("a", 1L)), null)));
  }

  // ---------------------------------------------------------------- declared lengths

  @ParameterizedTest(name = "declared {0}")
  @ValueSource(ints = {Integer.MAX_VALUE, 1 << 24, 1 << 20})
  void refusesEachDeclaredLengthBeyondThePayloadWithoutAllocatingIt(int declared) {
    List<Case> cases =
        List.of(
            new Case(Text.class, ForyPayloads.text(declared, LATIN1), "Latin-1 string"),
            new Case(Text.class, ForyPayloads.text(declared & ~1, UTF16), "UTF-16 string"),
            new Case(Text.class, ForyPayloads.text(declared, UTF8), "UTF-8 string"),
            new Case(Bytes.class, ForyPayloads.byteArray(declared), "byte[]"),
            new Case(Nested.class, ForyPayloads.nestedPath(declared), "ArrayList of records"),
            new Case(ContractTypes.Collections.class, ForyPayloads.names(declared), "ArrayList"),
            new Case(ContractTypes.Collections.class, ForyPayloads.counts(declared), "HashMap"),
            new Case(ContractTypes.Collections.class, ForyPayloads.ids(declared), "HashSet"));

    for (Case c : cases) {
      assertThatThrownBy(() -> decode(c.type(), c.payload()))
          .as("%s declaring %d", c.what(), declared)
          .isExactlyInstanceOf(CodecException.class)
          .hasMessageContaining("fury codec cannot decode " + c.payload().length + " bytes as ")
          .hasMessageContaining(c.type().getName())
          .hasMessageContaining("exceeds size(" + c.payload().length + ")");
      long allocated = allocatedBytesDecoding(c.type(), c.payload());
      System.out.printf(
          "fury: %-22s declaring %,13d with %d bytes present: %,d bytes allocated%n",
          c.what(), declared, c.payload().length, allocated);
      assertThat(allocated)
          .as("bytes allocated for %s declaring %d", c.what(), declared)
          .isLessThan(MAX_ALLOCATED_BYTES);
    }
  }

  private record Case(Class<?> type, byte[] payload, String what) {}

  @Test
  void refusesAStringLengthPastIntegerMaxValue() {
    byte[] payload = ForyPayloads.text((1L << 33) - 1, LATIN1);

    assertThatThrownBy(() -> decode(Text.class, payload))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining(Text.class.getName());
  }

  @Test
  void refusesAStringOfAnInvalidCoderWhereverItIs() {
    // Fory 1.6 without string compression made a String with the payload's coder, 3: a String no
    // JDK code expects, which the JIT's intrinsics read out of bounds (the fuzzer's JVM crashed in
    // String.compareTo as a TreeSet took one). It is refused before it exists.
    byte[] invalid = ForyPayloads.text(3, 3);
    assertThatThrownBy(() -> decode(Text.class, invalid))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining(Text.class.getName())
        .hasMessageContaining("coder");
    byte[] elements = ForyPayloads.names(3);
    int header = indexOf(elements, new byte[] {ForyPayloads.stringHeader(1, LATIN1)[0], 'a'});
    for (int coder : new int[] {LATIN1, UTF16, UTF8, 3}) {
      byte[] payload = elements.clone();
      payload[header] = ForyPayloads.stringHeader(1, coder)[0];
      Object decoded = decodeOrNull(ContractTypes.Collections.class, ByteBuffer.wrap(payload));
      if (coder == 3) {
        assertThat(decoded).as("a list element of coder 3").isNull();
      }
    }
    assertThat(decode(Text.class, ForyPayloads.text(3, LATIN1))).isEqualTo(new Text("abc", null));
  }

  @Test
  void refusesAStringOfLatin1CharactersInAnotherForm() {
    // Fory 1.6 builds a UTF-16 String around such bytes: it prints as "abc", yet equals no "abc".
    byte[][] refused = {
      ForyPayloads.text(UTF16, utf16("abc")),
      ForyPayloads.text(UTF16, utf16("caf\u00e9")),
      ForyPayloads.text(UTF16, new byte[0]),
      ForyPayloads.utf8Text("abc"),
    };
    for (byte[] payload : refused) {
      assertThatThrownBy(() -> decode(Text.class, payload))
          .isExactlyInstanceOf(CodecException.class)
          .hasMessageContaining(Text.class.getName())
          .hasMessageContaining("Latin-1 characters written as UTF-16 or UTF-8");
    }
    byte[] one = ForyPayloads.names(1); // ends with its one element: 04 61, "a" in Latin-1
    byte[] element =
        ForyPayloads.concat(
            Arrays.copyOf(one, one.length - 2), ForyPayloads.stringHeader(2, UTF16), utf16("a"));
    assertThat(decode(ContractTypes.Collections.class, one)).isNotNull();
    assertThatThrownBy(() -> decode(ContractTypes.Collections.class, element))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining("Latin-1 characters");

    // A string that needs UTF-16 reads as itself, from either form, and equals its text.
    assertThat(decode(Text.class, ForyPayloads.text(UTF16, utf16("a\u4e00"))))
        .isEqualTo(new Text("a\u4e00", null));
    assertThat(decode(Text.class, ForyPayloads.utf8Text("\u00e9\u4e00")))
        .isEqualTo(new Text("\u00e9\u4e00", null));
    assertThat(decode(Text.class, ForyPayloads.text(LATIN1, "caf\u00e9".getBytes(ISO_8859_1))))
        .isEqualTo(new Text("caf\u00e9", null));
  }

  private static byte[] utf16(String text) {
    return text.getBytes(StandardCharsets.UTF_16LE); // Fory's order on a little-endian machine
  }

  private static int indexOf(byte[] bytes, byte[] part) {
    for (int i = 0; i + part.length <= bytes.length; i++) {
      if (Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
        return i;
      }
    }
    throw new AssertionError("not found");
  }

  // ---------------------------------------------------------------- depth

  @Test
  void decodesTheDepthLimitAndRefusesOneLevelMore() {
    byte[] atLimit = ForyPayloads.deep(CodecLimits.DEFAULT_MAX_DEPTH);
    byte[] pastLimit = ForyPayloads.deep(CodecLimits.DEFAULT_MAX_DEPTH + 1);

    assertThat(decode(Deep.class, atLimit)).isInstanceOf(Deep.class);
    assertThatThrownBy(() -> decode(Deep.class, pastLimit))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining("deeper than the limit of " + CodecLimits.DEFAULT_MAX_DEPTH);
  }

  @Test
  void decodingAtTheDepthLimitNeedsLittleStack() throws InterruptedException {
    byte[] atLimit = ForyPayloads.deep(CodecLimits.DEFAULT_MAX_DEPTH);
    Object[] result = new Object[1];
    Thread small =
        new Thread(
            null,
            () -> result[0] = decodeOrNull(Deep.class, ByteBuffer.wrap(atLimit)),
            "small-stack",
            128 * 1024);

    small.start();
    small.join();

    assertThat(result[0]).as("decoded on a 128 KiB stack").isInstanceOf(Deep.class);
  }

  // ---------------------------------------------------------------- classes

  /** A class no codec registers; counts its instances. */
  record Canary(String name) {
    static final AtomicInteger CREATED = new AtomicInteger();

    Canary {
      CREATED.incrementAndGet();
    }
  }

  @Test
  void neverInstantiatesAnUnregisteredClassThePayloadNames() {
    byte[] payload = ForyPayloads.serializeWithoutRegistration(new Canary("tweet"));
    int before = Canary.CREATED.get();

    assertThatThrownBy(() -> decode(ContractTypes.Collections.class, payload))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining(
            "the payload names class " + Canary.class.getName() + ", which is not registered");
    assertThat(Canary.CREATED.get()).as("Canary instances made by decoding").isEqualTo(before);
  }

  @Test
  void refusesAnUnregisteredJdkListInsideAMessage() {
    List<String> checked =
        java.util.Collections.checkedList(new ArrayList<>(List.of("a")), String.class);
    byte[] payload =
        ForyPayloads.serializeWithoutRegistration(
            new ContractTypes.Collections(checked, null, null, null));

    assertThat(ForyPayloads.openFory().deserialize(payload))
        .as("a genuine Fory encoding, which Fory without registration reads back")
        .isInstanceOfSatisfying(
            ContractTypes.Collections.class,
            c -> assertThat(c.names().getClass()).isEqualTo(checked.getClass()));
    assertThatThrownBy(() -> decode(ContractTypes.Collections.class, payload))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining("java.util.Collections$CheckedRandomAccessList")
        .hasMessageContaining("not registered");
  }

  @Test
  void refusesAPayloadHoldingAnotherRegisteredType() {
    byte[] circle = ContractCodecs.encode(CODEC, new Circle(1.0));

    assertThatThrownBy(() -> decode(Square.class, circle))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageEndingWith("the payload holds a " + Circle.class.getName() + " instead");
  }

  @Test
  void refusesARecordWhoseFieldsDifferFromThisSidesClass() {
    byte[] payload = ContractCodecs.encode(CODEC, new Text("abc", null));
    payload[4] ^= 0x01; // the first byte of the class version hash

    assertThatThrownBy(() -> decode(Text.class, payload))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining("version");
  }

  // ---------------------------------------------------------------- framing of the payload

  @Test
  void refusesTrailingBytes() {
    byte[] valid = ContractCodecs.encode(CODEC, new Text("abc", null));
    byte[] longer = Arrays.copyOf(valid, valid.length + 2);

    assertThatThrownBy(() -> decode(Text.class, longer))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageEndingWith(
            "2 trailing bytes after the message, which ends at byte " + valid.length);
  }

  @ParameterizedTest(name = "header {0}")
  @ValueSource(ints = {0x01, 0x02, 0x03, 0x04, 0x80})
  void refusesAHeaderOtherThanJavaModeWithoutOutOfBandBuffers(int header) {
    byte[] payload = ContractCodecs.encode(CODEC, new Text("abc", null));
    payload[0] = (byte) header; // 01 cross-language, 02 out-of-band buffers, others reserved

    assertThatThrownBy(() -> decode(Text.class, payload))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining(Text.class.getName());
  }

  @Test
  void refusesANullRoot() {
    assertThatThrownBy(() -> decode(Text.class, ForyPayloads.bytes(0x00, ForyPayloads.NULL)))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageEndingWith("the payload is null");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"heap", "direct", "read-only"})
  void leavesTheBufferAsItFoundItWhenItRefuses(String kind) {
    byte[] payload = ForyPayloads.byteArray(1 << 20);
    Function<byte[], ByteBuffer> place =
        bytes ->
            switch (kind) {
              case "heap" -> ByteBuffer.wrap(bytes);
              case "direct" -> ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
              default -> ByteBuffer.wrap(bytes).asReadOnlyBuffer();
            };
    ByteBuffer buffer = place.apply(payload);

    assertThatThrownBy(() -> CODEC.decode(Bytes.class, buffer))
        .isExactlyInstanceOf(CodecException.class);
    assertThat(buffer.position()).isZero();
    assertThat(buffer.limit()).isEqualTo(payload.length);
  }
}
