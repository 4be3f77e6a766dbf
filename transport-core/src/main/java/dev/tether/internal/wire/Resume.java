package dev.tether.internal.wire;

import dev.tether.GoAwayCode;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The value of the RESUME extension ({@link Extensions#RESUME}, PROTOCOL.md §13): what a client
 * asks for and what the server grants, in 25 bytes.
 *
 * <pre>
 * +-----------+----------------+----------------+
 * | kind : u8 | token : 16 B   | received : u64 |
 * +-----------+----------------+----------------+
 * </pre>
 *
 * <p>In HELLO, kind {@link #START} asks for a new resumable session (token and received are zero);
 * {@link #RESUME} asks to resume the session with that token, the client having received {@code
 * received} message frames of it. In WELCOME, {@link #STARTED} grants a new session under the
 * token; {@link #RESUMED} resumes it, the server having received {@code received} message frames;
 * {@link #LOST} says the requested session is unknown (expired, or the server restarted) and a new
 * one has started under the token.
 */
public record Resume(int kind, byte[] token, long received) {
  public static final int START = 0;
  public static final int RESUME = 1;
  public static final int STARTED = 0;
  public static final int RESUMED = 1;
  public static final int LOST = 2;

  public static final int TOKEN_BYTES = 16;
  public static final int BYTES = 1 + TOKEN_BYTES + 8;

  public Resume {
    if (token.length != TOKEN_BYTES) {
      throw new IllegalArgumentException("a session token has 16 bytes, not " + token.length);
    }
    token = token.clone();
  }

  /** A HELLO asking for a new resumable session. */
  public static Resume start() {
    return new Resume(START, new byte[TOKEN_BYTES], 0);
  }

  @Override
  public byte[] token() {
    return token.clone();
  }

  public byte[] encode() {
    return ByteBuffer.allocate(BYTES).put((byte) kind).put(token).putLong(received).array();
  }

  /**
   * Decodes the value.
   *
   * @throws ProtocolException if it is not 25 bytes, names an unknown kind, or a negative count
   */
  public static Resume decode(byte[] value, boolean welcome) throws ProtocolException {
    if (value.length != BYTES) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR, "RESUME extension must be 25 bytes, was " + value.length);
    }
    ByteBuffer in = ByteBuffer.wrap(value);
    int kind = in.get() & 0xFF;
    byte[] token = new byte[TOKEN_BYTES];
    in.get(token);
    long received = in.getLong();
    if (kind > (welcome ? LOST : RESUME) || received < 0) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR,
          "RESUME extension with kind " + kind + " and received count " + received);
    }
    return new Resume(kind, token, received);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Resume r
        && r.kind == kind
        && r.received == received
        && Arrays.equals(r.token, token);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * kind + Arrays.hashCode(token)) + Long.hashCode(received);
  }

  @Override
  public String toString() {
    // the token is a credential: never print it whole
    return "Resume[kind="
        + kind
        + ", token="
        + HexFormat.of().formatHex(token, 0, 2)
        + "…, received="
        + received
        + "]";
  }
}
