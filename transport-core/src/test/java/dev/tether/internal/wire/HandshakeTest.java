package dev.tether.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.GoAwayCode;
import dev.tether.testing.Hex;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class HandshakeTest {
  /** HELLO body fields before the codec list (minorVersion .. schemaFingerprint). */
  private static final String HELLO_HEAD =
      "0000" // minorVersion 0
          + "0102030405060708" // nodeId
          + "000b" // appProtocol: 11 bytes
          + "7465746865722d6563686f" // "tether-echo"
          + "1122334455667788"; // schemaFingerprint

  /** HELLO body fields after the codec list (serverName .. extensions). */
  private static final String HELLO_TAIL =
      "0005 616c706861" // serverName "alpha"
          + "01000000" // maxFrameSize 16 MiB
          + "000003e8" // heartbeatMillis 1000
          + "00002710" // idleTimeoutMillis 10000
          + "0000"; // extensions: none

  private static final String HELLO_CODECS =
      "02" // 2 codecs offered
          + "0004 6a736f6e" // "json"
          + "0005 6279746573"; // "bytes"

  private static final String HELLO_BODY = HELLO_HEAD + HELLO_CODECS + HELLO_TAIL;

  private static Handshake hello() {
    return new Handshake(
        0,
        0x0102030405060708L,
        "tether-echo",
        0x1122334455667788L,
        List.of("json", "bytes"),
        "alpha",
        16 * 1024 * 1024,
        1000,
        10_000,
        new byte[0]);
  }

  private static Handshake decodeHello(String hex) throws ProtocolException {
    return Handshake.decodeHello(Hex.buffer(hex));
  }

  @Test
  void encodesHelloFieldByField() {
    assertThat(Hex.encode(hello().encodeHello()))
        .isEqualTo(
            Hex.encode(
                Hex.decode(
                    "00000043" // length 67 = type byte + 66 body bytes
                        + "01" // type HELLO
                        + HELLO_BODY)));
  }

  @Test
  void encodesWelcomeWithASingleChosenCodecInPlaceOfTheList() {
    Handshake welcome =
        new Handshake(
            0,
            0,
            "tether-echo",
            0x1122334455667788L,
            List.of("bytes"),
            "",
            16 * 1024 * 1024,
            5000,
            30_000,
            new byte[0]);

    assertThat(Hex.encode(welcome.encodeWelcome()))
        .isEqualTo(
            Hex.encode(
                Hex.decode(
                    "00000037" // length 55 = type byte + 54 body bytes
                        + "02" // type WELCOME
                        + "0000" // minorVersion 0
                        + "0000000000000000" // nodeId 0: anonymous
                        + "000b 7465746865722d6563686f" // appProtocol "tether-echo"
                        + "1122334455667788" // schemaFingerprint
                        + "0005 6279746573" // codec "bytes": one str, no count byte
                        + "0000" // serverName: empty
                        + "01000000" // maxFrameSize 16 MiB
                        + "00001388" // heartbeatMillis 5000
                        + "00007530" // idleTimeoutMillis 30000
                        + "0000"))); // extensions: none
  }

  @Test
  void refusesToEncodeAWelcomeWithMoreThanOneCodec() {
    assertThatThrownBy(() -> hello().encodeWelcome())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("WELCOME carries exactly one codec, not [json, bytes]");
  }

  @Test
  void decodesEveryHelloField() throws ProtocolException {
    ByteBuffer body = Hex.buffer(HELLO_BODY);

    Handshake decoded = Handshake.decodeHello(body);

    assertThat(decoded.minorVersion()).isZero();
    assertThat(decoded.nodeId()).isEqualTo(0x0102030405060708L);
    assertThat(decoded.appProtocol()).isEqualTo("tether-echo");
    assertThat(decoded.schemaFingerprint()).isEqualTo(0x1122334455667788L);
    assertThat(decoded.codecs()).containsExactly("json", "bytes");
    assertThat(decoded.serverName()).isEqualTo("alpha");
    assertThat(decoded.maxFrameSize()).isEqualTo(16 * 1024 * 1024);
    assertThat(decoded.heartbeatMillis()).isEqualTo(1000);
    assertThat(decoded.idleTimeoutMillis()).isEqualTo(10_000);
    assertThat(decoded.extensions()).isEmpty();
    assertThat(body.hasRemaining()).isFalse();
  }

  @Test
  void decodesU32FieldsAsUnsigned() throws ProtocolException {
    Handshake decoded =
        decodeHello(
            HELLO_HEAD
                + HELLO_CODECS
                + "0000" // serverName: empty
                + "ffffffff" // maxFrameSize 2^32-1
                + "80000000" // heartbeatMillis 2^31
                + "fffffffe" // idleTimeoutMillis 2^32-2
                + "0000"); // extensions: none

    assertThat(decoded.maxFrameSize()).isEqualTo(0xFFFF_FFFFL);
    assertThat(decoded.heartbeatMillis()).isEqualTo(0x8000_0000L);
    assertThat(decoded.idleTimeoutMillis()).isEqualTo(0xFFFF_FFFEL);
  }

  @Test
  void keepsExtensionBytesAndIgnoresTrailingBytesAfterThem() throws ProtocolException {
    ByteBuffer body =
        Hex.buffer(
            HELLO_HEAD
                + HELLO_CODECS
                + "0000" // serverName: empty
                + "00000400" // maxFrameSize 1024, the minimum
                + "00000000" // heartbeatMillis 0
                + "00000000" // idleTimeoutMillis 0
                + "0002 cafe" // extensions: 2 bytes
                + "deadbeef"); // a later minor version's fields: ignored

    Handshake decoded = Handshake.decodeHello(body);

    assertThat(decoded.extensions()).isEqualTo(Hex.decode("cafe"));
    assertThat(decoded.maxFrameSize()).isEqualTo(1024);
    assertThat(body.hasRemaining()).isFalse();
  }

  @Test
  void decodesWelcome() throws ProtocolException {
    Handshake decoded =
        Handshake.decodeWelcome(
            Hex.buffer(
                HELLO_HEAD
                    + "0005 6279746573" // codec "bytes"
                    + HELLO_TAIL));

    assertThat(decoded.codecs()).containsExactly("bytes");
    assertThat(decoded.serverName()).isEqualTo("alpha");
  }

  @Test
  void rejectsAHelloOfferingNoCodec() {
    assertThatThrownBy(() -> decodeHello(HELLO_HEAD + "00" /* 0 codecs */ + HELLO_TAIL))
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR))
        .hasMessage("HELLO must offer 1..16 codecs, offered 0");
  }

  @Test
  void rejectsAHelloOffering17Codecs() {
    String seventeen = "11" + String.join("", Collections.nCopies(17, "0001 61")); // 17 × "a"

    assertThatThrownBy(() -> decodeHello(HELLO_HEAD + seventeen + HELLO_TAIL))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("HELLO must offer 1..16 codecs, offered 17");
  }

  @Test
  void acceptsAHelloOffering16Codecs() throws ProtocolException {
    String sixteen = "10" + String.join("", Collections.nCopies(16, "0001 61")); // 16 × "a"

    assertThat(decodeHello(HELLO_HEAD + sixteen + HELLO_TAIL).codecs()).hasSize(16);
  }

  @Test
  void rejectsAnEmptyAppProtocol() {
    assertThatThrownBy(
            () ->
                decodeHello(
                    "0000" // minorVersion
                        + "0000000000000000" // nodeId
                        + "0000" // appProtocol: 0 bytes
                        + "1122334455667788" // schemaFingerprint
                        + HELLO_CODECS
                        + HELLO_TAIL))
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR))
        .hasMessage("HELLO appProtocol must be 1..255 bytes, was 0");
  }

  @Test
  void rejectsAnAppProtocolOf256Bytes() {
    String app256 = "0100" + "61".repeat(256); // str of 256 × "a"

    assertThatThrownBy(
            () ->
                decodeHello(
                    "0000" // minorVersion
                        + "0000000000000000" // nodeId
                        + app256 // appProtocol: 256 bytes
                        + "1122334455667788" // schemaFingerprint
                        + HELLO_CODECS
                        + HELLO_TAIL))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("HELLO appProtocol must be 1..255 bytes, was 256");
  }

  @Test
  void acceptsAnAppProtocolOf255Bytes() throws ProtocolException {
    String app255 = "00ff" + "61".repeat(255);

    Handshake decoded =
        decodeHello(
            "0000" + "0000000000000000" + app255 + "1122334455667788" + HELLO_CODECS + HELLO_TAIL);

    assertThat(decoded.appProtocol()).hasSize(255);
  }

  @Test
  void rejectsMaxFrameSizeBelow1024() {
    assertThatThrownBy(
            () ->
                decodeHello(
                    HELLO_HEAD
                        + HELLO_CODECS
                        + "0000" // serverName: empty
                        + "000003ff" // maxFrameSize 1023
                        + "00000000" // heartbeatMillis
                        + "00000000" // idleTimeoutMillis
                        + "0000")) // extensions
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR))
        .hasMessage("HELLO maxFrameSize 1023 is below the minimum of 1024");
  }

  @Test
  void rejectsAStrLongerThanTheBytesRemaining() {
    assertThatThrownBy(
            () ->
                decodeHello(
                    "0000" // minorVersion
                        + "0000000000000000" // nodeId
                        + "00ff" // appProtocol claims 255 bytes...
                        + "746574")) // ...but only 3 follow
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR))
        .hasMessage("truncated frame: HELLO appProtocol needs 255 bytes, 3 remain");
  }

  @Test
  void rejectsACodecNameLongerThanTheBytesRemaining() {
    assertThatThrownBy(
            () ->
                decodeHello(
                    HELLO_HEAD
                        + "01" // 1 codec
                        + "ffff" // named by 65535 bytes...
                        + "6a736f6e")) // ...of which 4 arrive
        .isInstanceOf(ProtocolException.class)
        .hasMessage("truncated frame: HELLO codec name needs 65535 bytes, 4 remain");
  }

  @Test
  void rejectsExtensionsLongerThanTheBytesRemaining() {
    assertThatThrownBy(
            () ->
                decodeHello(
                    HELLO_HEAD
                        + HELLO_CODECS
                        + "0000" // serverName: empty
                        + "01000000" // maxFrameSize
                        + "00000000" // heartbeatMillis
                        + "00000000" // idleTimeoutMillis
                        + "0010 cafe")) // extensions claim 16 bytes, 2 follow
        .isInstanceOf(ProtocolException.class)
        .hasMessage("truncated frame: HELLO extensions needs 16 bytes, 2 remain");
  }

  @Test
  void rejectsAHelloCutShortBeforeItsLimits() {
    assertThatThrownBy(
            () -> decodeHello(HELLO_HEAD + HELLO_CODECS + "0000" /* serverName */ + "0100"))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("truncated frame: HELLO limits and extensions length needs 14 bytes, 2 remain");
  }

  @Test
  void rejectsAnEmptyBody() {
    assertThatThrownBy(() -> decodeHello(""))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("truncated frame: HELLO minorVersion and nodeId needs 10 bytes, 0 remain");
  }

  @Test
  void rejectsMalformedUtf8() {
    assertThatThrownBy(
            () ->
                decodeHello(
                    "0000" // minorVersion
                        + "0000000000000000" // nodeId
                        + "0002 c328" // appProtocol: a lead byte followed by ASCII "("
                        + "1122334455667788" // schemaFingerprint
                        + HELLO_CODECS
                        + HELLO_TAIL))
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR))
        .hasMessage("HELLO appProtocol is not valid UTF-8");
  }

  @Test
  void rejectsAnEncodedSurrogateInACodecName() {
    assertThatThrownBy(
            () ->
                decodeHello(
                    HELLO_HEAD
                        + "01" // 1 codec
                        + "0003 eda080" // U+D800 encoded as UTF-8: not allowed
                        + HELLO_TAIL))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("HELLO codec name is not valid UTF-8");
  }

  @Test
  void roundTripsThroughItsOwnEncoder() throws ProtocolException {
    byte[] frame = hello().encodeHello();
    ByteBuffer body =
        ByteBuffer.wrap(frame, Frames.HEADER_BYTES, frame.length - Frames.HEADER_BYTES);

    Handshake decoded = Handshake.decodeHello(body);

    assertThat(decoded).usingRecursiveComparison().isEqualTo(hello());
  }
}
