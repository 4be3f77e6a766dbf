package dev.tether.codec.jackson;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import tools.jackson.core.Base64Variants;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.BeanDescription;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.deser.CreatorProperty;
import tools.jackson.databind.deser.SettableBeanProperty;
import tools.jackson.databind.deser.ValueInstantiator;
import tools.jackson.databind.deser.bean.BeanDeserializer;

/**
 * Reads a record whose components are all plain values — {@code long}, {@code int}, {@code
 * boolean}, {@code double} (boxed or not), {@code String} and {@code byte[]} — straight from the
 * reused parser's tokens, and calls its creator through {@link DirectCreators}' handle. Jackson's
 * property-based path does the same with more on the way, for features such a record does not use
 * (a {@code PropertyValueBuffer} and a deserialization context per object, a lookup, view, ignoral
 * and injection check per property, error wrapping). In the two-JVM bench's one-way {@code json}
 * stream of {@code {"seq":1,"body":"<64 base64 chars>"}}, the receiving loop's CPU a message fell
 * from about 313 to 252 ns with it (medians of six interleaved pairs); Jackson's tokenizer, which
 * both paths share, is about 100 ns of what is left.
 *
 * <p>Like {@link ReusedParser}, it only ever <em>accepts</em>: it takes an object only if every
 * component is named exactly once, by the name Jackson reads it by, each with the one token kind
 * that Jackson's own deserializer for the component reads as this class does (a number that fits
 * for {@code long} and {@code int}, {@code true} or {@code false}, a fraction or exponent number
 * for {@code double}, a string, and for {@code byte[]} the padded base64 that {@link Base64Bytes}
 * takes), and nothing else is in it. A null, a missing, repeated or unknown property, any other
 * token, or a creator that throws, and it gives up; the payload is then read by Jackson. So an
 * object it takes is the object Jackson would build: the same creator with the same arguments.
 *
 * <p>Before the tokens, {@link #scan} tries the payload's bytes themselves, where they are in the
 * strict form the encoder writes (ASCII strings without escapes, integers of up to 18 digits): it
 * skips the tokenizer, which was about half of what was left, and takes a subset of what {@link
 * #read} takes, the same values for it. The receiving loop's CPU a message in the same stream fell
 * from 249, 256 and 384 ns to 192, 175 and 236 (three interleaved pairs).
 *
 * <p>A type gets one only if Jackson would read it the plain way: a record read by Jackson's own
 * {@code BeanDeserializer} with a properties-based creator and no delegating one, no object ids,
 * polymorphic type ids, any-setter, active view, ignored or included-only names, injected values,
 * back references or properties other than its components, and each component read by exactly the
 * deserializer Jackson uses for its type anywhere (not one changed by an annotation).
 */
final class PlainRecordReader {
  /**
   * What {@link #read} returns where the record's creator threw: the payload is refused by the type
   * itself, so reading it again on the reused parser would only run the creator once more; the
   * codec's own parser reads it, and reports the refusal in Jackson's words.
   */
  static final Object CREATOR_THREW = new Object();

  enum Kind {
    LONG,
    INT,
    BOOLEAN,
    DOUBLE,
    STRING,
    BYTES
  }

  private final String[] names;
  private final byte[][] nameBytes;
  private final Kind[] kinds;
  private final int[] positions;
  private final long all;
  private final MethodHandle creator;

  private PlainRecordReader(String[] names, Kind[] kinds, int[] positions, MethodHandle creator) {
    this.names = names;
    this.nameBytes = new byte[names.length][];
    for (int i = 0; i < names.length; i++) {
      nameBytes[i] = names[i].getBytes(UTF_8);
    }
    this.kinds = kinds;
    this.positions = positions;
    this.all = names.length == 64 ? -1L : (1L << names.length) - 1;
    this.creator = creator;
  }

  /** Returns a reader for {@code type}, or null if Jackson might read it other than plainly. */
  static PlainRecordReader of(ObjectMapper mapper, Class<?> type) {
    if (!type.isRecord()) {
      return null;
    }
    try {
      DeserializationContext ctxt = mapper._deserializationContext();
      if (ctxt.getConfig().getBase64Variant() != Base64Variants.MIME_NO_LINEFEEDS) {
        return null; // the only variant Base64Bytes reads itself
      }
      JavaType javaType = ctxt.constructType(type);
      ValueDeserializer<Object> root = ctxt.findRootValueDeserializer(javaType);
      if (root == null
          || root.getClass() != BeanDeserializer.class // not as-array, builder, type-wrapped...
          || !plainBean((BeanDeserializer) root, ctxt, javaType)) {
        return null;
      }
      BeanDeserializer bean = (BeanDeserializer) root;
      MethodHandle creator = DirectCreators.handleOf(bean.getValueInstantiator());
      // Each component once: the creator's lookup, which this iterates, holds aliases too.
      List<SettableBeanProperty> components = new ArrayList<>();
      for (Iterator<SettableBeanProperty> it = bean.creatorProperties(); it.hasNext(); ) {
        SettableBeanProperty property = it.next();
        if (components.stream().noneMatch(c -> c == property)) {
          components.add(property);
        }
      }
      int count = components.size();
      if (creator == null || count == 0 || count > 64 || bean.getPropertyCount() != count) {
        return null;
      }
      String[] names = new String[count];
      Kind[] kinds = new Kind[count];
      int[] positions = new int[count];
      long positionsSeen = 0;
      for (int i = 0; i < count; i++) {
        SettableBeanProperty property = components.get(i);
        Kind kind = plainKind(property, ctxt);
        int position = property.getCreatorIndex();
        SettableBeanProperty same = bean.findProperty(property.getFullName());
        String name = property.getName();
        if (kind == null
            || name.length() > JacksonMappers.MAX_NAME_LENGTH
            || LimitedGenerator.unpairedSurrogate(name) >= 0 // its UTF-8 would not be its bytes
            || position < 0
            || position >= count
            || (positionsSeen & (1L << position)) != 0
            || same == null
            || same.getCreatorIndex() != position) {
          return null;
        }
        positionsSeen |= 1L << position;
        names[i] = name;
        kinds[i] = kind;
        positions[i] = position;
      }
      return new PlainRecordReader(names, kinds, positions, creator);
    } catch (RuntimeException e) {
      return null; // Jackson cannot read the type, or not this way: its own path says why
    }
  }

  private static boolean plainBean(
      BeanDeserializer bean, DeserializationContext ctxt, JavaType type) {
    ValueInstantiator instantiator = bean.getValueInstantiator();
    if (bean.getObjectIdReader(ctxt) != null
        || bean.hasAnySetter()
        || ctxt.getConfig().getActiveView() != null // the codec's readers have none
        || bean.isCaseInsensitive()
        || !instantiator.canCreateFromObjectWith()
        || instantiator.canCreateUsingDelegate()
        || instantiator.canCreateUsingArrayDelegate()) {
      return false;
    }
    BeanDescription description = ctxt.introspectBeanDescription(type);
    Map<Object, ?> injectables = description.findInjectables();
    var ignorals = description.getPropertyIgnorals();
    var inclusions =
        ctxt.getConfig()
            .getDefaultPropertyInclusions(type.getRawClass(), description.getClassInfo());
    return description.getIgnoredPropertyNames().isEmpty()
        && (ignorals == null || ignorals.findIgnoredForDeserialization().isEmpty())
        && (inclusions == null || inclusions.getIncluded() == null)
        && (injectables == null || injectables.isEmpty());
  }

  /** The component's kind, or null if Jackson might read it other than plainly. */
  private static Kind plainKind(SettableBeanProperty property, DeserializationContext ctxt) {
    if (property.getClass() != CreatorProperty.class
        || property.isIgnorable()
        || property.isInjectionOnly()
        || property.getInjectableValueId() != null
        || property.getValueTypeDeserializer() != null
        || property.getManagedReferenceName() != null
        || !property.hasValueDeserializer()) {
      return null;
    }
    Class<?> raw = property.getType().getRawClass();
    ValueDeserializer<Object> deserializer = property.getValueDeserializer();
    if (raw == byte[].class) {
      // made anew for each property, so never the same instance; what it does with a string is
      // Base64Bytes' own, whatever its delegate (which reads only other tokens) was made with
      return deserializer.getClass() == Base64Bytes.class ? Kind.BYTES : null;
    }
    if (deserializer != ctxt.findRootValueDeserializer(property.getType())) {
      return null; // not the deserializer Jackson reads the type with anywhere: an annotation's
    }
    if (raw == long.class || raw == Long.class) {
      return Kind.LONG;
    } else if (raw == int.class || raw == Integer.class) {
      return Kind.INT;
    } else if (raw == boolean.class || raw == Boolean.class) {
      return Kind.BOOLEAN;
    } else if (raw == double.class || raw == Double.class) {
      return Kind.DOUBLE;
    } else if (raw == String.class) {
      return Kind.STRING;
    }
    return null;
  }

  /**
   * Reads one object from {@code parser}, from its first token to its {@code END_OBJECT}, and
   * returns the record; returns null where it gives the payload up (the parser is then somewhere
   * inside it), and {@link #CREATOR_THREW} where the creator threw. May throw what the parser
   * throws.
   */
  Object read(JsonParser parser) {
    if (parser.nextToken() != JsonToken.START_OBJECT) {
      return null;
    }
    Object[] args = new Object[names.length];
    long seen = 0;
    int expected = 0; // components usually come in the order they are written
    JsonToken token;
    while ((token = parser.nextToken()) == JsonToken.PROPERTY_NAME) {
      int index = indexOf(parser.currentName(), expected);
      if (index < 0 || (seen & (1L << index)) != 0) {
        return null; // unknown or repeated: Jackson decides
      }
      seen |= 1L << index;
      expected = index + 1;
      parser.nextToken();
      Object value = value(kinds[index], parser);
      if (value == null) {
        return null;
      }
      args[positions[index]] = value;
    }
    if (token != JsonToken.END_OBJECT || seen != all) {
      return null;
    }
    return create(args);
  }

  /**
   * Reads the object in {@code length} bytes at {@code offset} straight from the bytes, without a
   * parser, where it is in the strict form the encoder writes; returns the record, null where it
   * gives the payload up, and {@link #CREATOR_THREW} where the creator threw. The payload must
   * start with {@code &#123;} and end with {@code &#125;} ({@link ReusedParser#mayRead}).
   *
   * <p>It takes less than {@link #read}: JSON white space between tokens; names and strings of
   * ASCII without escapes or control characters (a name may also be the exact UTF-8 of a
   * component's name); integers without leading zeros of at most 18 digits; {@code true} and {@code
   * false}; for a {@code double}, a number with a fraction or an exponent, read by {@link
   * Double#parseDouble} as Jackson reads it; padded standard base64 for {@code byte[]}. Anything
   * else, and what {@link #read} gives up, it gives up too. Jackson's tokenizer was about half of
   * decoding the bench's 83-byte payload with {@link #read}.
   */
  Object scan(byte[] in, int offset, int length) {
    int end = offset + length - 1; // the closing brace
    Object[] args = new Object[names.length];
    long seen = 0;
    int expected = 0;
    int at = skipSpace(in, offset + 1, end);
    while (at < end) {
      if (in[at] != '"') {
        return null;
      }
      int nameEnd = stringEnd(in, at + 1, end, true);
      if (nameEnd < 0) {
        return null;
      }
      int index = indexOf(in, at + 1, nameEnd, expected);
      if (index < 0 || (seen & (1L << index)) != 0) {
        return null; // unknown or repeated: Jackson decides
      }
      seen |= 1L << index;
      expected = index + 1;
      at = skipSpace(in, nameEnd + 1, end);
      if (at >= end || in[at] != ':') {
        return null;
      }
      at = value(kinds[index], in, skipSpace(in, at + 1, end), end, args, positions[index]);
      if (at < 0) {
        return null;
      }
      at = skipSpace(in, at, end);
      if (at < end) {
        if (in[at] != ',') {
          return null;
        }
        at = skipSpace(in, at + 1, end);
        if (at >= end) {
          return null; // a comma before the closing brace
        }
      }
    }
    if (seen != all) {
      return null;
    }
    return create(args);
  }

  private static int skipSpace(byte[] in, int at, int end) {
    while (at < end) {
      byte b = in[at];
      if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
        break;
      }
      at++;
    }
    return at;
  }

  /**
   * Returns the index of the quote that ends the string starting at {@code at}, before {@code end};
   * -1 if there is none, or the string holds an escape, a control character or, unless {@code
   * utf8}, a byte outside ASCII.
   */
  private static int stringEnd(byte[] in, int at, int end, boolean utf8) {
    for (; at < end; at++) {
      byte b = in[at];
      if (b == '"') {
        return at;
      }
      if (b == '\\' || (b >= 0 && b < 0x20) || (b < 0 && !utf8)) {
        return -1;
      }
    }
    return -1;
  }

  /**
   * Calls the record's creator with {@code args}, one per component in its order; returns the
   * record, or {@link #CREATOR_THREW}.
   */
  Object create(Object[] args) {
    try {
      return (Object) creator.invokeExact(args);
    } catch (Throwable t) {
      return CREATOR_THREW;
    }
  }

  /** Returns how many components the record has. */
  int components() {
    return kinds.length;
  }

  /** Returns the kind of the {@code index}th component in the order {@link #indexOf} counts. */
  Kind kind(int index) {
    return kinds[index];
  }

  /** Returns where the {@code index}th component goes among the creator's arguments. */
  int position(int index) {
    return positions[index];
  }

  /**
   * Returns true if {@code seen}, a bit per component {@link #indexOf} returned, names them all.
   */
  boolean all(long seen) {
    return seen == all;
  }

  /**
   * Returns the index of the component whose name's UTF-8 is {@code in[from, to)}, trying {@code
   * expected} first; -1 if none.
   */
  int indexOf(byte[] in, int from, int to, int expected) {
    if (expected < nameBytes.length) {
      byte[] name = nameBytes[expected];
      if (Arrays.equals(name, 0, name.length, in, from, to)) {
        return expected;
      }
    }
    for (int i = 0; i < nameBytes.length; i++) {
      byte[] name = nameBytes[i];
      if (Arrays.equals(name, 0, name.length, in, from, to)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Reads a value of {@code kind} at {@code at} into {@code args[position]}; returns the index just
   * after it, or -1 to give up.
   */
  private static int value(Kind kind, byte[] in, int at, int end, Object[] args, int position) {
    switch (kind) {
      case LONG:
      case INT:
        return integer(kind, in, at, end, args, position);
      case BOOLEAN:
        if (startsWith(in, at, end, TRUE)) {
          args[position] = Boolean.TRUE;
          return at + TRUE.length;
        } else if (startsWith(in, at, end, FALSE)) {
          args[position] = Boolean.FALSE;
          return at + FALSE.length;
        }
        return -1;
      case DOUBLE:
        return fraction(in, at, end, args, position);
      case STRING:
      case BYTES:
        if (at >= end || in[at] != '"') {
          return -1;
        }
        int close = stringEnd(in, at + 1, end, false);
        if (close < 0) {
          return -1;
        }
        Object value =
            kind == Kind.STRING
                ? new String(in, at + 1, close - at - 1, ISO_8859_1)
                : Base64Bytes.decode(in, at + 1, close - at - 1);
        if (value == null) {
          return -1;
        }
        args[position] = value;
        return close + 1;
      default:
        throw new AssertionError(kind);
    }
  }

  private static final byte[] TRUE = "true".getBytes(ISO_8859_1);
  private static final byte[] FALSE = "false".getBytes(ISO_8859_1);

  /** Integers this long always fit in a {@code long}. */
  private static final int MAX_DIGITS = 18;

  private static int integer(Kind kind, byte[] in, int at, int end, Object[] args, int position) {
    boolean negative = at < end && in[at] == '-';
    int i = negative ? at + 1 : at;
    if (i >= end || !isDigit(in[i])) {
      return -1;
    }
    long value = in[i++] - '0';
    if (value != 0) {
      for (int last = Math.min(end, i + MAX_DIGITS - 1); i < last && isDigit(in[i]); i++) {
        value = value * 10 + (in[i] - '0');
      }
    }
    if (i < end && (isDigit(in[i]) || in[i] == '.' || in[i] == 'e' || in[i] == 'E')) {
      return -1; // a leading zero, a 19th digit, a fraction or an exponent: Jackson decides
    }
    if (negative) {
      value = -value;
    }
    if (kind == Kind.LONG) {
      args[position] = value;
    } else if (value == (int) value) {
      args[position] = (int) value;
    } else {
      return -1;
    }
    return i;
  }

  /** A JSON number with a fraction or an exponent, as a {@code Double}; -1 for anything else. */
  private static int fraction(byte[] in, int at, int end, Object[] args, int position) {
    int i = at < end && in[at] == '-' ? at + 1 : at;
    if (i >= end || !isDigit(in[i])) {
      return -1;
    }
    if (in[i++] != '0') {
      i = digits(in, i, end);
    }
    boolean plain = true;
    if (i < end && in[i] == '.') {
      int from = i + 1;
      i = digits(in, from, end);
      if (i == from) {
        return -1;
      }
      plain = false;
    }
    if (i < end && (in[i] == 'e' || in[i] == 'E')) {
      i++;
      if (i < end && (in[i] == '+' || in[i] == '-')) {
        i++;
      }
      int from = i;
      i = digits(in, from, end);
      if (i == from) {
        return -1;
      }
      plain = false;
    }
    if (plain || (i < end && (isDigit(in[i]) || in[i] == '.'))) {
      return -1; // an integer (Jackson's coercion), or a leading zero
    }
    args[position] = Double.parseDouble(new String(in, at, i - at, ISO_8859_1));
    return i;
  }

  private static int digits(byte[] in, int at, int end) {
    while (at < end && isDigit(in[at])) {
      at++;
    }
    return at;
  }

  private static boolean isDigit(byte b) {
    return b >= '0' && b <= '9';
  }

  private static boolean startsWith(byte[] in, int at, int end, byte[] literal) {
    return end - at >= literal.length
        && Arrays.equals(in, at, at + literal.length, literal, 0, literal.length);
  }

  private int indexOf(String name, int expected) {
    if (expected < names.length && names[expected].equals(name)) {
      return expected;
    }
    for (int i = 0; i < names.length; i++) {
      if (names[i].equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /** Returns the value of the current token as Jackson's deserializer reads it, or null. */
  private static Object value(Kind kind, JsonParser parser) {
    JsonToken token = parser.currentToken();
    switch (kind) {
      case LONG:
        if (token == JsonToken.VALUE_NUMBER_INT
            && parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
          return parser.getLongValue();
        }
        return null;
      case INT:
        if (token == JsonToken.VALUE_NUMBER_INT
            && parser.getNumberType() == JsonParser.NumberType.INT) {
          return parser.getIntValue();
        }
        return null;
      case BOOLEAN:
        return token == JsonToken.VALUE_TRUE
            ? Boolean.TRUE
            : token == JsonToken.VALUE_FALSE ? Boolean.FALSE : null;
      case DOUBLE:
        return token == JsonToken.VALUE_NUMBER_FLOAT ? parser.getDoubleValue() : null;
      case STRING:
        return token == JsonToken.VALUE_STRING ? parser.getString() : null;
      case BYTES:
        return token == JsonToken.VALUE_STRING
            ? Base64Bytes.decode(
                parser.getStringCharacters(), parser.getStringOffset(), parser.getStringLength())
            : null;
      default:
        throw new AssertionError(kind);
    }
  }
}
