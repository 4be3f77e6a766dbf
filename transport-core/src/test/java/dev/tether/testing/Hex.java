package dev.tether.testing;

import java.nio.ByteBuffer;

/** Hex fixtures for wire tests: {@code Hex.decode("0000000d 01")}; whitespace is ignored. */
public final class Hex {
  private static final char[] DIGITS = "0123456789abcdef".toCharArray();

  private Hex() {}

  /**
   * Returns the bytes spelled by {@code hex}, two digits a byte, ignoring whitespace.
   *
   * @throws IllegalArgumentException if a character is not a hex digit or the count is odd
   */
  public static byte[] decode(String hex) {
    String digits = hex.replaceAll("\\s+", "");
    if (digits.length() % 2 != 0) {
      throw new IllegalArgumentException("odd number of hex digits: " + hex);
    }
    byte[] bytes = new byte[digits.length() / 2];
    for (int i = 0; i < bytes.length; i++) {
      int hi = Character.digit(digits.charAt(2 * i), 16);
      int lo = Character.digit(digits.charAt(2 * i + 1), 16);
      if (hi < 0 || lo < 0) {
        throw new IllegalArgumentException("not a hex digit in: " + hex);
      }
      bytes[i] = (byte) (hi << 4 | lo);
    }
    return bytes;
  }

  /** Returns a read-mode buffer over the bytes spelled by {@code hex}. */
  public static ByteBuffer buffer(String hex) {
    return ByteBuffer.wrap(decode(hex));
  }

  /** Returns lower-case hex, two digits a byte, no separators. */
  public static String encode(byte[] bytes) {
    char[] out = new char[bytes.length * 2];
    for (int i = 0; i < bytes.length; i++) {
      out[2 * i] = DIGITS[(bytes[i] >> 4) & 0xF];
      out[2 * i + 1] = DIGITS[bytes[i] & 0xF];
    }
    return new String(out);
  }
}
