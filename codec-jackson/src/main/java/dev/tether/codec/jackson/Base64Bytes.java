package dev.tether.codec.jackson;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import tools.jackson.core.Base64Variants;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.deser.std.DelegatingDeserializer;

/**
 * Reads a {@code byte[]} written as padded base64 text, the form the encoder writes, four
 * characters at a time into an array of the exact size; Jackson's parser decodes one character at a
 * time, with a branch per character and a growing builder copied at the end, which was a fifth of
 * the decoding loop's samples in the two-JVM {@code json} bench.
 *
 * <p>Only the plain form is taken here: standard alphabet, length a multiple of four, at most two
 * {@code =} at the very end, and Jackson's default variant ({@code MIME-NO-LINEFEEDS}). Anything
 * else (white space, missing padding, a stray character, an empty string, a CBOR byte string, an
 * array of numbers) goes to Jackson's own deserializer, which accepts or refuses it as it always
 * did. Bits below the last whole byte are dropped, as Jackson drops them, so a string reads back as
 * the same bytes whichever path takes it.
 *
 * <p>{@link PlainRecordReader#scan}, which reads a payload's bytes without a parser, decodes with
 * the same loop over bytes: the JDK's {@code decode(ByteBuffer)} it used before allocated two
 * buffers a value beside the array (136 bytes a decoded 64-byte bench message instead of 192, in
 * the same time).
 *
 * <p>A long string is decoded by the JDK's decoder, which the JIT compiles to vector instructions:
 * 283 ns for 1,024 bytes against 1,060 here, measured on the bench machine. It takes exactly the
 * strings this class takes, and throws on the others; a shorter string is not worth that exception
 * when it is not in the plain form.
 */
final class Base64Bytes extends DelegatingDeserializer {
  private static final long serialVersionUID = 1L;

  /**
   * Strings of at least this many characters go to the JDK's decoder. At 1,024 a string that is not
   * in the plain form costs its exception (a few microseconds) on top of Jackson's own reading of
   * it, at most about as much again; canonical ones decode about four times as fast.
   */
  static final int JDK_FROM_CHARS = 1024;

  private static final Base64.Decoder JDK = Base64.getDecoder();

  /** The value of each ASCII character in the standard alphabet; -1 for any other. */
  private static final byte[] VALUES = new byte[128];

  /** {@link #VALUES} for every byte, so that a lookup needs no test first. */
  private static final int[] BYTE_VALUES = new int[256];

  static {
    Arrays.fill(BYTE_VALUES, -1);
    Arrays.fill(VALUES, (byte) -1);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < alphabet.length(); i++) {
      VALUES[alphabet.charAt(i)] = (byte) i;
      BYTE_VALUES[alphabet.charAt(i)] = i;
    }
  }

  Base64Bytes(ValueDeserializer<?> jackson) {
    super(jackson);
  }

  @Override
  protected ValueDeserializer<?> newDelegatingInstance(ValueDeserializer<?> newDelegatee) {
    return new Base64Bytes(newDelegatee);
  }

  @Override
  public Object deserialize(JsonParser p, DeserializationContext ctxt) throws JacksonException {
    if (p.hasToken(JsonToken.VALUE_STRING)
        && ctxt.getBase64Variant() == Base64Variants.MIME_NO_LINEFEEDS) {
      byte[] bytes = decode(p.getStringCharacters(), p.getStringOffset(), p.getStringLength());
      if (bytes != null) {
        return bytes;
      }
    }
    return super.deserialize(p, ctxt);
  }

  /**
   * Decodes {@code length} characters of padded standard base64 from {@code chars} at {@code
   * offset}; returns null if they are not exactly that form, or are empty.
   */
  static byte[] decode(char[] chars, int offset, int length) {
    if (length == 0 || (length & 3) != 0) {
      return null;
    }
    int end = offset + length;
    int padding = chars[end - 1] != '=' ? 0 : chars[end - 2] != '=' ? 1 : 2;
    byte[] bytes = new byte[length / 4 * 3 - padding];
    if (length >= JDK_FROM_CHARS) {
      return decodeWithJdk(chars, offset, length, bytes);
    }
    int whole = padding == 0 ? end : end - 4;
    int out = 0;
    for (int in = offset; in < whole; in += 4) {
      int quad =
          value(chars[in]) << 18
              | value(chars[in + 1]) << 12
              | value(chars[in + 2]) << 6
              | value(chars[in + 3]);
      if (quad < 0) {
        return null; // a character outside the alphabet: its value, -1, set the sign bit
      }
      bytes[out++] = (byte) (quad >> 16);
      bytes[out++] = (byte) (quad >> 8);
      bytes[out++] = (byte) quad;
    }
    if (padding == 2) {
      int pair = value(chars[whole]) << 6 | value(chars[whole + 1]);
      if (pair < 0) {
        return null;
      }
      bytes[out] = (byte) (pair >> 4);
    } else if (padding == 1) {
      int triple =
          value(chars[whole]) << 12 | value(chars[whole + 1]) << 6 | value(chars[whole + 2]);
      if (triple < 0) {
        return null;
      }
      bytes[out++] = (byte) (triple >> 10);
      bytes[out] = (byte) (triple >> 2);
    }
    return bytes;
  }

  /**
   * Decodes {@code length} bytes of padded standard base64 from {@code text} at {@code offset}, as
   * {@link #decode(char[], int, int)} decodes characters; returns null where that would.
   */
  static byte[] decode(byte[] text, int offset, int length) {
    if (length == 0 || (length & 3) != 0) {
      return null;
    }
    int end = offset + length;
    int padding = text[end - 1] != '=' ? 0 : text[end - 2] != '=' ? 1 : 2;
    byte[] bytes = new byte[length / 4 * 3 - padding];
    if (length >= JDK_FROM_CHARS) {
      try {
        return JDK.decode(Arrays.copyOfRange(text, offset, end), bytes) == bytes.length
            ? bytes
            : null;
      } catch (IllegalArgumentException notThePlainForm) {
        return null;
      }
    }
    int whole = padding == 0 ? end : end - 4;
    int out = 0;
    for (int in = offset; in < whole; in += 4) {
      int quad =
          value(text[in]) << 18
              | value(text[in + 1]) << 12
              | value(text[in + 2]) << 6
              | value(text[in + 3]);
      if (quad < 0) {
        return null;
      }
      bytes[out++] = (byte) (quad >> 16);
      bytes[out++] = (byte) (quad >> 8);
      bytes[out++] = (byte) quad;
    }
    if (padding == 2) {
      int pair = value(text[whole]) << 6 | value(text[whole + 1]);
      if (pair < 0) {
        return null;
      }
      bytes[out] = (byte) (pair >> 4);
    } else if (padding == 1) {
      int triple = value(text[whole]) << 12 | value(text[whole + 1]) << 6 | value(text[whole + 2]);
      if (triple < 0) {
        return null;
      }
      bytes[out++] = (byte) (triple >> 10);
      bytes[out] = (byte) (triple >> 2);
    }
    return bytes;
  }

  private static int value(byte b) {
    return BYTE_VALUES[b & 0xff];
  }

  /**
   * Decodes with the JDK's decoder into {@code bytes}, exactly their length; returns null where it
   * refuses the text. Characters above U+00FF become {@code ?}, which it refuses.
   */
  private static byte[] decodeWithJdk(char[] chars, int offset, int length, byte[] bytes) {
    byte[] text = new String(chars, offset, length).getBytes(StandardCharsets.ISO_8859_1);
    try {
      return JDK.decode(text, bytes) == bytes.length ? bytes : null;
    } catch (IllegalArgumentException notThePlainForm) {
      return null;
    }
  }

  private static int value(char c) {
    return c < 128 ? VALUES[c] : -1;
  }
}
