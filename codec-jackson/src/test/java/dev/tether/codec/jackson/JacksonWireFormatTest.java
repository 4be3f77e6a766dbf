package dev.tether.codec.jackson;

import static dev.tether.codec.jackson.Codecs.CBOR;
import static dev.tether.codec.jackson.Codecs.JSON;
import static dev.tether.codec.jackson.Codecs.decode;
import static dev.tether.codec.jackson.Codecs.encode;
import static dev.tether.codec.jackson.Codecs.hex;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.codec.CodecException;
import dev.tether.codec.jackson.Messages.Blob;
import dev.tether.codec.jackson.Messages.Color;
import dev.tether.codec.jackson.Messages.Echo;
import dev.tether.codec.jackson.Messages.Numbers;
import dev.tether.codec.jackson.Messages.Ping;
import dev.tether.codec.jackson.Messages.Positive;
import dev.tether.codec.jackson.Messages.Stamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The exact bytes on the wire, as a peer in another language sees them. */
class JacksonWireFormatTest {
  private static final Stamp STAMP =
      new Stamp(
          Instant.parse("2024-05-01T12:00:00.123456789Z"),
          Duration.ofMillis(1500),
          UUID.fromString("123e4567-e89b-12d3-a456-426614174000"),
          new byte[] {1, 2, 3},
          Double.NaN,
          Color.RED);

  @Test
  void jsonEchoIsTheInteropProfileObject() {
    assertThat(new String(encode(JSON, new Echo("hi", 1)), UTF_8))
        .isEqualTo("{\"text\":\"hi\",\"seq\":1}");
  }

  @Test
  void cborEchoIsAMapInDeclarationOrder() {
    assertThat(encode(CBOR, new Echo("hi", 1)))
        .isEqualTo(
            hex(
                "bf" // map of indefinite length: Jackson streams records
                    + "64 74657874" // text(4) "text"
                    + "62 6869" // text(2) "hi"
                    + "63 736571" // text(3) "seq"
                    + "01" // unsigned(1)
                    + "ff")); // break
  }

  @Test
  void cborShouldReadDefiniteLengthMapsAsOtherLibrariesWriteThem() {
    byte[] definite =
        hex(
            "a2" // map of 2 pairs
                + "64 74657874 62 6869" // "text": "hi"
                + "63 736571 01"); // "seq": 1

    assertThat(decode(CBOR, Echo.class, definite)).isEqualTo(new Echo("hi", 1));
  }

  @Test
  void cborWritesCollectionsWithDefiniteLength() {
    assertThat(encode(CBOR, new Numbers(List.of(1, "a"))))
        .isEqualTo(
            hex(
                "bf" // map of indefinite length
                    + "65 6974656d73" // text(5) "items"
                    + "82 01 61 61" // array of 2: unsigned(1), text(1) "a"
                    + "ff")); // break
  }

  @Test
  void jsonWritesTimeAsIsoTextBytesAsBase64AndNanAsString() {
    assertThat(new String(encode(JSON, STAMP), UTF_8))
        .isEqualTo(
            "{\"at\":\"2024-05-01T12:00:00.123456789Z\",\"took\":\"PT1.5S\","
                + "\"id\":\"123e4567-e89b-12d3-a456-426614174000\",\"data\":\"AQID\","
                + "\"ratio\":\"NaN\",\"color\":\"RED\"}");
  }

  @Test
  void cborWritesBytesAsByteString() {
    assertThat(encode(CBOR, new Blob(new byte[] {1, 2, 3})))
        .isEqualTo(
            hex(
                "bf" // map of indefinite length
                    + "64 64617461" // text(4) "data"
                    + "43 010203" // bytes(3) 01 02 03
                    + "ff")); // break
  }

  @Test
  void cborWritesInstantAsIsoText() {
    byte[] cbor = encode(CBOR, STAMP);

    assertThat(new String(cbor, UTF_8)).contains("2024-05-01T12:00:00.123456789Z", "PT1.5S");
    JacksonCodecRoundTripTest.assertSameContent(decode(CBOR, Stamp.class, cbor), STAMP);
  }

  @Test
  void recordWithoutComponentsIsEmptyObject() {
    assertThat(new String(encode(JSON, new Ping()), UTF_8)).isEqualTo("{}");
    assertThat(encode(CBOR, new Ping())).isEqualTo(hex("bf ff")); // map of indefinite length, break
  }

  @Test
  void shouldAcceptFieldsInAnyOrderAndIgnoreUnknownOnes() {
    byte[] json =
        "{\"added\":{\"in\":[\"a\",\"newer\",\"peer\"]},\"seq\":7,\"text\":\"x\",\"more\":null}"
            .getBytes(UTF_8);

    assertThat(decode(JSON, Echo.class, json)).isEqualTo(new Echo("x", 7));
  }

  @Test
  void shouldGiveMissingFieldsTheirJavaDefault() {
    assertThat(decode(JSON, Echo.class, "{}".getBytes(UTF_8))).isEqualTo(new Echo(null, 0));
    assertThat(decode(CBOR, Echo.class, hex("a0"))).isEqualTo(new Echo(null, 0));
  }

  @Test
  void shouldRefuseExplicitNullForPrimitive() {
    assertThatThrownBy(() -> decode(JSON, Echo.class, "{\"seq\":null}".getBytes(UTF_8)))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("seq");
  }

  @Test
  void shouldRefuseTrailingValue() {
    assertThatThrownBy(() -> decode(JSON, Echo.class, "{\"seq\":1} {}".getBytes(UTF_8)))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("Trailing token");
    assertThatThrownBy(() -> decode(CBOR, Echo.class, hex("a0 a0")))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("Trailing token");
  }

  @Test
  void shouldRefuseNullPayloadSoThatNoMessageIsNull() {
    assertThatThrownBy(() -> decode(JSON, Echo.class, "null".getBytes(UTF_8)))
        .isInstanceOf(CodecException.class)
        .hasMessage(
            "json codec cannot decode 4 bytes as %s: the payload is null", Echo.class.getName());
    assertThatThrownBy(() -> decode(CBOR, Echo.class, hex("f6"))) // simple(22) null
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("the payload is null");
  }

  @Test
  void shouldWrapExceptionOfRecordConstructorNamingCodecTypeAndCause() {
    assertThatThrownBy(() -> decode(JSON, Positive.class, "{\"value\":-1}".getBytes(UTF_8)))
        .isInstanceOf(CodecException.class)
        .hasMessageStartingWith(
            "json codec cannot decode 12 bytes as " + Positive.class.getName() + ": ")
        .hasMessageContaining("value must be >= 0, was -1")
        .hasRootCauseInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldNameCodecTypeAndCauseForMismatchedShape() {
    assertThatThrownBy(() -> decode(CBOR, Echo.class, hex("83 01 02 03"))) // array [1, 2, 3]
        .isInstanceOf(CodecException.class)
        .hasMessageStartingWith("cbor codec cannot decode 4 bytes as " + Echo.class.getName())
        .hasCauseInstanceOf(tools.jackson.core.JacksonException.class);
  }
}
