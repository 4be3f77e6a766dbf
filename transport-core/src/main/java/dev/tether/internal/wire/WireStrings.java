package dev.tether.internal.wire;

import dev.tether.GoAwayCode;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Reads and writes {@code str} fields: a u16 byte length, then UTF-8 (PROTOCOL.md §1). */
public final class WireStrings {
  private WireStrings() {}

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Writes a {@code str}; the caller has checked that it fits in 65535 bytes. */
  public static void writeStr(ByteBuffer dst, byte[] utf8) {
    dst.putShort((short) utf8.length);
    dst.put(utf8);
  }

  /**
   * Reads a {@code str}, checking the declared length against the bytes remaining.
   *
   * @param field the field's name, for the error message
   */
  public static String readStr(ByteBuffer src, String field) throws ProtocolException {
    need(src, 2, field + " length");
    int length = src.getShort() & 0xFFFF;
    need(src, length, field);
    return decodeUtf8(src, length, field);
  }

  /** Decodes {@code length} bytes of strict UTF-8 at the position and advances past them. */
  public static String decodeUtf8(ByteBuffer src, int length, String field)
      throws ProtocolException {
    int limit = src.limit();
    src.limit(src.position() + length);
    try {
      CharBuffer chars =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(src);
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw new ProtocolException(GoAwayCode.PROTOCOL_ERROR, field + " is not valid UTF-8");
    } finally {
      src.limit(limit);
    }
  }

  /**
   * Decodes the rest of the buffer as UTF-8, replacing malformed input (for reasons and messages).
   */
  public static String lenientUtf8(ByteBuffer src) {
    byte[] bytes = new byte[src.remaining()];
    src.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /**
   * Throws PROTOCOL_ERROR unless {@code n} bytes remain.
   *
   * @param what what was being read, for the message
   */
  public static void need(ByteBuffer src, int n, String what) throws ProtocolException {
    if (src.remaining() < n) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR,
          "truncated frame: " + what + " needs " + n + " bytes, " + src.remaining() + " remain");
    }
  }

  /** Returns at most {@code maxBytes} of UTF-8 for {@code s}, cut at a character boundary. */
  public static byte[] truncatedUtf8(String s, int maxBytes) {
    byte[] bytes = utf8(s);
    if (bytes.length <= maxBytes) {
      return bytes;
    }
    int end = maxBytes;
    while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
      end--;
    }
    return java.util.Arrays.copyOf(bytes, end);
  }
}
