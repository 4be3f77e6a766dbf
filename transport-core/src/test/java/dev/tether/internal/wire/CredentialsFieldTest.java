package dev.tether.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.Credentials;
import dev.tether.testing.Hex;
import org.junit.jupiter.api.Test;

/** The value of the HELLO's credentials extension (PROTOCOL.md §5), byte by byte. */
class CredentialsFieldTest {
  @Test
  void encodesTheSchemeAsAStrThenTheCredentialToTheEnd() {
    byte[] value = CredentialsField.encode(new Credentials("bearer", Hex.decode("01 02 ff 00")));

    assertThat(value)
        .isEqualTo(
            Hex.decode(
                "00 06" // scheme: 6 bytes
                    + " 62 65 61 72 65 72" // "bearer"
                    + " 01 02 ff 00")); // the credential, to the end of the value
  }

  @Test
  void decodesWhatItEncodes() {
    Credentials token = Credentials.of("hmac-sha256", "k1:9f86d081884c7d65");

    assertThat(CredentialsField.decode(CredentialsField.encode(token))).isEqualTo(token);
  }

  @Test
  void anEmptyCredentialIsStillCredentials() {
    assertThat(CredentialsField.decode(Hex.decode("00 01 78")))
        .isEqualTo(new Credentials("x", new byte[0]));
  }

  @Test
  void malformedValuesCountAsNoCredentials() {
    assertThat(CredentialsField.decode(Hex.decode(""))).as("no scheme length").isNull();
    assertThat(CredentialsField.decode(Hex.decode("00"))).as("half a length").isNull();
    assertThat(CredentialsField.decode(Hex.decode("00 07 62 65 61 72 65 72")))
        .as("scheme longer than the value")
        .isNull();
    assertThat(CredentialsField.decode(Hex.decode("00 00 01 02"))).as("empty scheme").isNull();
    assertThat(CredentialsField.decode(Hex.decode("00 02 c3 28"))).as("bad UTF-8").isNull();
  }

  @Test
  void credentialsNeverShowTheirValue() {
    assertThat(Credentials.of("bearer", "s3cret"))
        .hasToString("Credentials[scheme=bearer, value=(6 bytes)]");
  }
}
