package dev.tether.internal.wire;

import dev.tether.Credentials;
import java.nio.ByteBuffer;

/**
 * The value of the HELLO's credentials extension (kind {@link Extensions#CREDENTIALS}, PROTOCOL.md
 * §5): a scheme, then the credential's bytes up to the end of the value.
 *
 * <pre>
 * +--------------------+------------------------+---------------------------------+
 * | schemeLength : u16 | scheme : UTF-8, 1..255 | credential : rest of the value  |
 * +--------------------+------------------------+---------------------------------+
 * </pre>
 *
 * <p>A value that does not parse (no scheme, a scheme longer than the value, malformed UTF-8) means
 * "no credentials", like any extension content a receiver does not understand.
 */
public final class CredentialsField {
  private CredentialsField() {}

  /** Encodes the extension's value. */
  public static byte[] encode(Credentials credentials) {
    byte[] scheme = WireStrings.utf8(credentials.scheme());
    byte[] value = credentials.value();
    ByteBuffer out = ByteBuffer.allocate(2 + scheme.length + value.length);
    WireStrings.writeStr(out, scheme);
    out.put(value);
    return out.array();
  }

  /** Decodes the extension's value; null if it is not well formed. */
  public static Credentials decode(byte[] field) {
    ByteBuffer in = ByteBuffer.wrap(field);
    try {
      String scheme = WireStrings.readStr(in, "credentials scheme");
      byte[] value = new byte[in.remaining()];
      in.get(value);
      return new Credentials(scheme, value);
    } catch (ProtocolException | IllegalArgumentException e) {
      return null;
    }
  }
}
