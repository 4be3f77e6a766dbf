package dev.tether.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.testing.Hex;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PreambleTest {
  @Test
  void isTetherZeroByteAndMajorVersionOne() {
    assertThat(Preamble.bytes())
        .isEqualTo(
            Hex.decode(
                "544554484552" // ASCII "TETHER"
                    + "00" // zero byte
                    + "01")); // protocol major version 1
    assertThat(Preamble.matches(Hex.decode("5445544845520001"))).isTrue();
  }

  @Test
  void handsOutACopyThatCallersCannotCorrupt() {
    Preamble.bytes()[0] = 'X';

    assertThat(Preamble.bytes()[0]).isEqualTo((byte) 'T');
  }

  @Test
  void recognisesAnotherMajorVersion() {
    byte[] version2 = Hex.decode("544554484552 00 02"); // "TETHER", 0, major version 2

    assertThat(Preamble.matches(version2)).isFalse();
    assertThat(Preamble.isOtherVersion(version2)).isTrue();
    assertThat(Preamble.isOtherVersion("GET / HT".getBytes(StandardCharsets.US_ASCII))).isFalse();
  }

  @Test
  void describesAnHttpRequestAsReadableText() {
    byte[] http = "GET / HT".getBytes(StandardCharsets.US_ASCII);

    assertThat(Preamble.describe(http, http.length))
        .isEqualTo("\"GET / HT\" (47 45 54 20 2f 20 48 54)");
  }

  @Test
  void describesATlsClientHelloWithHexEscapes() {
    byte[] tls = Hex.decode("16 0301 0200 01 0001"); // handshake record, TLS 1.0, length, hello

    assertThat(Preamble.describe(tls, tls.length))
        .isEqualTo("\"\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\" (16 03 01 02 00 01 00 01)");
  }

  @Test
  void recognisesTheStartOfATlsHandshakeRecordAndNothingElse() {
    assertThat(Preamble.isTlsHandshake(Hex.decode("16 0301 0200 01 0001"))).isTrue(); // TLS 1.0
    assertThat(Preamble.isTlsHandshake(Hex.decode("16 0303 00f2 01 0000"))).isTrue(); // TLS 1.2
    assertThat(Preamble.isTlsHandshake(Hex.decode("16 0305 0000 00 0000"))).isFalse(); // 3.5
    assertThat(Preamble.isTlsHandshake(Hex.decode("17 0303 0010 00 0000"))).isFalse(); // app data
    assertThat(Preamble.isTlsHandshake(Preamble.bytes())).isFalse();
  }

  @Test
  void describesOnlyTheBytesItIsToldWereReceived() {
    byte[] partial = "SSH-2.0-".getBytes(StandardCharsets.US_ASCII);

    assertThat(Preamble.describe(partial, 4)).isEqualTo("\"SSH-\" (53 53 48 2d)");
  }
}
