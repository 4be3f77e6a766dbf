package dev.tether.codec.jackson;

import java.math.BigDecimal;
import java.math.BigInteger;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.SerializableString;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.core.exc.StreamWriteException;
import tools.jackson.core.io.NumberInput;
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
 * <p>This class is not thread safe; Jackson creates one per generator, that is per message.
 */
final class LimitedGenerator extends JsonGeneratorDelegate {
  private final StreamReadConstraints limits;
  private final boolean textNumbers;

  private LimitedGenerator(JsonGenerator delegate, StreamReadConstraints limits, boolean json) {
    super(delegate, false);
    this.limits = limits;
    this.textNumbers = json;
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
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c)
            && i + 1 < name.length()
            && Character.isLowSurrogate(name.charAt(i + 1))) {
          i++;
          continue;
        }
        throw refuse(
            String.format(
                "a property name or map key holds an unpaired surrogate (U+%04X at index %d),"
                    + " which a reader refuses",
                (int) c, i));
      }
    }
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
}
