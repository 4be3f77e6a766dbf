package dev.tether.internal.wire;

import java.nio.charset.StandardCharsets;

/**
 * The 8 bytes each side writes first (PROTOCOL.md §2).
 *
 * <pre>
 *   0   1   2   3   4   5   6   7
 * +---+---+---+---+---+---+---+---+
 * | T | E | T | H | E | R | 0 | 1 |   ASCII "TETHER", zero byte, major version 1
 * +---+---+---+---+---+---+---+---+
 * </pre>
 */
public final class Preamble {
  public static final int LENGTH = 8;
  private static final byte[] BYTES = {0x54, 0x45, 0x54, 0x48, 0x45, 0x52, 0x00, 0x01};

  private Preamble() {}

  /** Returns a fresh copy of the preamble bytes. */
  public static byte[] bytes() {
    return BYTES.clone();
  }

  public static boolean matches(byte[] received) {
    return java.util.Arrays.equals(BYTES, received);
  }

  /** Returns true if the first 7 bytes match but the version byte differs. */
  public static boolean isOtherVersion(byte[] received) {
    return java.util.Arrays.equals(BYTES, 0, 7, received, 0, 7) && received[7] != BYTES[7];
  }

  /**
   * Returns true if the bytes begin like a TLS handshake record (content type 22, version 3.x),
   * which is how every TLS ClientHello begins: a TLS client at a plaintext port.
   */
  public static boolean isTlsHandshake(byte[] received) {
    return received.length >= 3
        && received[0] == 0x16
        && received[1] == 0x03
        && (received[2] & 0xFF) <= 0x04;
  }

  /**
   * Describes bytes that are not the preamble so that a human recognises the sender: printable
   * ASCII as text, the rest as hex escapes, e.g. {@code "GET / HT" (47 45 54 20 2f 20 48 54)}.
   */
  public static String describe(byte[] received, int length) {
    StringBuilder text = new StringBuilder("\"");
    StringBuilder hex = new StringBuilder();
    for (int i = 0; i < length; i++) {
      int b = received[i] & 0xFF;
      if (b >= 0x20 && b < 0x7F) {
        text.append((char) b);
      } else {
        text.append(String.format("\\x%02x", b));
      }
      hex.append(i == 0 ? "" : " ").append(String.format("%02x", b));
    }
    return text.append("\" (").append(hex).append(')').toString();
  }

  /** Returns the bytes as a US-ASCII string, for tests and logs. */
  public static String ascii(byte[] received) {
    return new String(received, StandardCharsets.US_ASCII);
  }
}
