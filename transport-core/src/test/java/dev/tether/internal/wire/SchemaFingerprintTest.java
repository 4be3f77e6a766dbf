package dev.tether.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.MessageTypes;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;

/** The schema fingerprint of PROTOCOL.md §5, computed here independently of MessageTypes. */
class SchemaFingerprintTest {
  private static long first8BytesOfSha256(String text) throws Exception {
    byte[] digest =
        MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    return ByteBuffer.wrap(digest, 0, 8).getLong(); // big-endian u64
  }

  @Test
  void isTheFirst8BytesOfSha256OfTheEchoProfileText() throws Exception {
    MessageTypes types =
        MessageTypes.builder("tether-echo").register(1, "echo.Echo", byte[].class).build();

    assertThat(types.fingerprintText()).isEqualTo("tether-echo\n1=echo.Echo\n");
    assertThat(types.fingerprint()).isEqualTo(first8BytesOfSha256("tether-echo\n1=echo.Echo\n"));
  }

  @Test
  void listsTypesInAscendingIdOrderWhateverTheRegistrationOrder() throws Exception {
    MessageTypes types =
        MessageTypes.builder("app")
            .register(10, "b.Ten", String.class)
            .register(2, "a.Two", byte[].class)
            .build();

    assertThat(types.fingerprintText()).isEqualTo("app\n2=a.Two\n10=b.Ten\n");
    assertThat(types.fingerprint()).isEqualTo(first8BytesOfSha256("app\n2=a.Two\n10=b.Ten\n"));
  }

  @Test
  void hashesNonAsciiNamesAsUtf8() throws Exception {
    MessageTypes types = MessageTypes.builder("échange").register(1, "Grüße", byte[].class).build();

    assertThat(types.fingerprint()).isEqualTo(first8BytesOfSha256("échange\n1=Grüße\n"));
  }

  @Test
  void differsWhenATypeNameDiffers() {
    long echo =
        MessageTypes.builder("tether-echo")
            .register(1, "echo.Echo", byte[].class)
            .build()
            .fingerprint();
    long renamed =
        MessageTypes.builder("tether-echo")
            .register(1, "echo.Echo2", byte[].class)
            .build()
            .fingerprint();

    assertThat(renamed).isNotEqualTo(echo);
  }

  @Test
  void coversNestedClassesInRegistrationOrder() throws Exception {
    MessageTypes types =
        MessageTypes.builder("app")
            .register(1, "a.One", byte[].class)
            .nested(String.class, Integer.class)
            .build();
    MessageTypes otherOrder =
        MessageTypes.builder("app")
            .register(1, "a.One", byte[].class)
            .nested(Integer.class, String.class)
            .build();
    MessageTypes none = MessageTypes.builder("app").register(1, "a.One", byte[].class).build();

    // the old fingerprint ignored nested classes, so Kryo/Fory registrations could differ silently
    assertThat(types.fingerprintText())
        .isEqualTo("app\n1=a.One\nnested=java.lang.String\nnested=java.lang.Integer\n");
    assertThat(types.fingerprint()).isEqualTo(first8BytesOfSha256(types.fingerprintText()));
    assertThat(types.fingerprint()).isNotEqualTo(otherOrder.fingerprint());
    assertThat(types.fingerprint()).isNotEqualTo(none.fingerprint());
    assertThat(none.fingerprintText()).isEqualTo("app\n1=a.One\n");
  }
}
