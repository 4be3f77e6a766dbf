package dev.tether;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a client presents to prove who it is when TLS client certificates are not used: a scheme
 * that says how to read it (e.g. {@code "bearer"}, {@code "hmac-sha256"}) and the credential's
 * bytes. Sent in the client's HELLO (PROTOCOL.md §5, extension {@code 0x0002}) and given to the
 * server's {@link Authorizer}.
 *
 * <p>Without TLS the bytes cross the network in the clear: send secrets this way only over TLS, a
 * Unix domain socket, or a network that is private for other reasons.
 *
 * @param scheme how to read the value; 1 to {@link #MAX_SCHEME_BYTES} bytes of UTF-8
 * @param value the credential itself, at most {@link #MAX_VALUE_BYTES} bytes; copied in and out
 */
public record Credentials(String scheme, byte[] value) {
  /** The longest scheme name, in UTF-8 bytes. */
  public static final int MAX_SCHEME_BYTES = 255;

  /**
   * The largest credential: room for a large signed token while leaving the rest of the 64 KiB
   * handshake frame to the other fields.
   */
  public static final int MAX_VALUE_BYTES = 32 * 1024;

  /**
   * Checks and copies.
   *
   * @throws IllegalArgumentException if the scheme is empty or too long, or the value too long
   */
  public Credentials {
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(value, "value");
    int schemeBytes = scheme.getBytes(StandardCharsets.UTF_8).length;
    if (schemeBytes == 0 || schemeBytes > MAX_SCHEME_BYTES) {
      throw new IllegalArgumentException(
          "scheme must be 1.." + MAX_SCHEME_BYTES + " bytes of UTF-8, was " + schemeBytes);
    }
    if (value.length > MAX_VALUE_BYTES) {
      throw new IllegalArgumentException(
          "credential value must be at most " + MAX_VALUE_BYTES + " bytes, was " + value.length);
    }
    value = value.clone();
  }

  /** Returns credentials whose value is the UTF-8 of {@code text}, e.g. a bearer token. */
  public static Credentials of(String scheme, String text) {
    return new Credentials(scheme, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Returns a copy of the credential's bytes. */
  @Override
  public byte[] value() {
    return value.clone();
  }

  /** Returns the value decoded as UTF-8 (malformed bytes replaced), e.g. a bearer token. */
  public String valueAsString() {
    return new String(value, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Credentials other
        && scheme.equals(other.scheme)
        && Arrays.equals(value, other.value);
  }

  @Override
  public int hashCode() {
    return 31 * scheme.hashCode() + Arrays.hashCode(value);
  }

  /** Names the scheme and the value's length, never the value: logs must not hold secrets. */
  @Override
  public String toString() {
    return "Credentials[scheme=" + scheme + ", value=(" + value.length + " bytes)]";
  }
}
