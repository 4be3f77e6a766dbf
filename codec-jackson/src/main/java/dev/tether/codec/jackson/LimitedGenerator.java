package dev.tether.codec.jackson;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Base64;
import tools.jackson.core.Base64Variant;
import tools.jackson.core.Base64Variants;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.SerializableString;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.core.exc.StreamWriteException;
import tools.jackson.core.io.NumberInput;
import tools.jackson.core.json.UTF8JsonGenerator;
import tools.jackson.core.util.JsonGeneratorDecorator;
import tools.jackson.core.util.JsonGeneratorDelegate;

/**
 * A generator that refuses to write what the reader's {@link StreamReadConstraints} would refuse: a
 * string longer than {@code maxStringLength} characters, a property name or map key longer than
 * {@code maxNameLength}, and, in JSON, a number of more than {@code maxNumberLength} digits or a
 * decimal whose exponent the reader cannot hold, and a name holding half of a surrogate pair. So
 * the sender fails on its own thread, with the reader's words, instead of the receiver closing the
 * connection over a message it cannot read. (Nesting depth needs no help: {@code
 * StreamWriteConstraints} mirrors the reader's.)
 *
 * <p>CBOR carries big numbers in binary, which the reader does not limit, so only JSON numbers are
 * checked.
 *
 * <p>It also writes a JSON {@code byte[]} faster than Jackson, to the same text ({@link
 * #writeBinary(Base64Variant, byte[], int, int)}).
 *
 * <p>This class is not thread safe; Jackson creates one per generator, and the codec keeps one
 * generator per thread.
 */
final class LimitedGenerator extends JsonGeneratorDelegate {
  /** Base64 text up to this many bytes is encoded into a buffer the generator keeps. */
  static final int KEPT_BASE64_BYTES = 8 * 1024;

  /**
   * Longest text encoded here, into a second array beside the bytes; Jackson streams a longer one
   * (only a raised {@code maxStringLength} lets one through).
   */
  private static final int MAX_FAST_BASE64_BYTES = 64 * 1024 * 1024;

  private static final Base64.Encoder BASE64 = Base64.getEncoder();

  private final StreamReadConstraints limits;
  private final boolean textNumbers;

  /** True where the delegate writes UTF-8 JSON: {@code writeRawUTF8String} takes our base64. */
  private final boolean utf8Json;

  private final Base64Text base64Text = new Base64Text();

  private LimitedGenerator(JsonGenerator delegate, StreamReadConstraints limits, boolean json) {
    super(delegate, false);
    this.limits = limits;
    this.textNumbers = json;
    this.utf8Json = json && delegate instanceof UTF8JsonGenerator;
  }

  /** Returns a decorator that wraps every generator of a factory. */
  static JsonGeneratorDecorator decorator(StreamReadConstraints limits, boolean json) {
    return (TokenStreamFactory factory, JsonGenerator generator) ->
        new LimitedGenerator(generator, limits, json);
  }

  @Override
  public JsonGenerator writeString(String text) throws JacksonException {
    if (text != null) {
      checkString(text.length());
    }
    return super.writeString(text);
  }

  @Override
  public JsonGenerator writeString(char[] text, int offset, int length) throws JacksonException {
    checkString(length);
    return super.writeString(text, offset, length);
  }

  @Override
  public JsonGenerator writeString(SerializableString text) throws JacksonException {
    checkString(text.charLength());
    return super.writeString(text);
  }

  @Override
  public JsonGenerator writeName(String name) throws JacksonException {
    checkName(name.length());
    checkUnpairedSurrogates(name);
    return super.writeName(name);
  }

  @Override
  public JsonGenerator writeName(SerializableString name) throws JacksonException {
    checkName(name.charLength());
    return super.writeName(name);
  }

  @Override
  public JsonGenerator writeNumber(BigInteger value) throws JacksonException {
    if (textNumbers && value != null) {
      checkNumber(value.toString());
    }
    return super.writeNumber(value);
  }

  @Override
  public JsonGenerator writeNumber(BigDecimal value) throws JacksonException {
    if (textNumbers && value != null) {
      // What JsonGenerator writes, unless WRITE_BIGDECIMAL_AS_PLAIN is on (it is not here).
      checkNumber(value.toString());
    }
    return super.writeNumber(value);
  }

  @Override
  public JsonGenerator writeNumber(String encodedValue) throws JacksonException {
    if (textNumbers && encodedValue != null) {
      checkNumber(encodedValue);
    }
    return super.writeNumber(encodedValue);
  }

  /**
   * Writes a whole {@code byte[]} in Jackson's default variant (the standard alphabet, padded, no
   * line feeds: exactly what {@link Base64#getEncoder()} writes) with the JDK's encoder, which the
   * JIT compiles to vector instructions, and then as a string Jackson copies without escaping, as
   * its own {@code writeBinary} does. Jackson encodes three bytes at a time: 82 ns for 48 bytes and
   * 1.09 us for 1,024 against 31 ns and 51 ns this way, measured on the bench machine. Anything
   * else (another variant, part of an array, CBOR, a generator writing characters) goes to Jackson.
   *
   * <p>In JSON an array whose text is longer than {@code maxStringLength} is refused, as the reader
   * would refuse it.
   */
  @Override
  public JsonGenerator writeBinary(Base64Variant variant, byte[] data, int offset, int length)
      throws JacksonException {
    long textLength = (length + 2L) / 3 * 4; // padded, without line feeds
    if (textNumbers && textLength > limits.getMaxStringLength()) {
      throw refuse(
          "a byte[] of "
              + length
              + " bytes is "
              + textLength
              + " characters of base64, longer than the limit of "
              + limits.getMaxStringLength()
              + " that a reader accepts for a string");
    }
    if (!utf8Json
        || variant != Base64Variants.MIME_NO_LINEFEEDS
        || data == null
        || offset != 0
        || length != data.length
        || textLength > MAX_FAST_BASE64_BYTES) {
      return super.writeBinary(variant, data, offset, length);
    }
    byte[] text = base64Text.room((int) textLength);
    int written = BASE64.encode(data, text);
    return super.writeRawUTF8String(text, 0, written);
  }

  private void checkString(int length) {
    if (length > limits.getMaxStringLength()) {
      throw refuse(
          "a string of "
              + length
              + " characters is longer than the limit of "
              + limits.getMaxStringLength()
              + " that a reader accepts");
    }
  }

  /**
   * A string value with half of a surrogate pair goes out as a {@code \\uXXXX} escape in JSON,
   * which Jackson reads back (and CBOR's generator refuses by itself); in a property name or map
   * key, Jackson's reader refuses it whatever its form. A fuzzer found json decoding such a key
   * leniently from bytes that are not UTF-8, then writing it where no reader would take it back.
   */
  private void checkUnpairedSurrogates(String name) {
    int i = unpairedSurrogate(name);
    if (i >= 0) {
      throw refuse(
          String.format(
              "a property name or map key holds an unpaired surrogate (U+%04X at index %d),"
                  + " which a reader refuses",
              (int) name.charAt(i), i));
    }
  }

  /** Returns the index of the first half of a surrogate pair without its other half, or -1. */
  static int unpairedSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c)
            && i + 1 < text.length()
            && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;
          continue;
        }
        return i;
      }
    }
    return -1;
  }

  private void checkName(int length) {
    if (length > limits.getMaxNameLength()) {
      throw refuse(
          "a property name or map key of "
              + length
              + " characters is longer than the limit of "
              + limits.getMaxNameLength()
              + " that a reader accepts");
    }
  }

  /**
   * A JSON reader counts a number's digits, those of its exponent included, against {@code
   * maxNumberLength}, and refuses a decimal whose exponent does not fit its scale.
   */
  private void checkNumber(String text) {
    int digits = 0;
    boolean exponent = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') {
        digits++;
      } else if (c == 'E' || c == 'e') {
        exponent = true;
      }
    }
    if (digits > limits.getMaxNumberLength()) {
      throw refuse(
          "a number of "
              + digits
              + " digits is longer than the limit of "
              + limits.getMaxNumberLength()
              + " that a reader accepts");
    }
    if (exponent) {
      if (!exponentFitsAnInt(text)) {
        // JDK 17's BigDecimal refuses such an exponent even where the value has a valid scale
        // (1E+2147483648 is scale Integer.MIN_VALUE); newer JDKs read it. A peer may run either.
        throw refuse(
            "the number "
                + text
                + " cannot be read back: its exponent does not fit in 32 bits, which a reader on"
                + " JDK 17 refuses");
      }
      try {
        NumberInput.parseBigDecimal(text, false);
      } catch (NumberFormatException e) {
        throw refuse("the number " + text + " cannot be read back: " + e.getMessage());
      }
    }
  }

  private static boolean exponentFitsAnInt(String text) {
    int e = Math.max(text.indexOf('E'), text.indexOf('e'));
    try {
      Integer.parseInt(text.substring(e + 1));
      return true;
    } catch (NumberFormatException tooLong) {
      return false;
    }
  }

  private StreamWriteException refuse(String reason) {
    return new StreamWriteException(this, reason);
  }

  /**
   * An array for base64 text, which the JDK's encoder writes only from an array's start: the
   * longest so far up to {@link #KEPT_BASE64_BYTES} is kept; a longer text gets an array of its
   * own. Not thread safe: one per generator, and one per thread for {@link PlainRecordWriter}.
   */
  static final class Base64Text {
    private byte[] kept = new byte[0];

    /** Returns an array of at least {@code length} bytes. */
    byte[] room(int length) {
      if (length <= kept.length) {
        return kept;
      }
      byte[] text = new byte[length];
      if (length <= KEPT_BASE64_BYTES) {
        kept = text;
      }
      return text;
    }
  }
}
