package dev.tether.codec.jackson;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tether.codec.EncodeBuffer;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.ValueSerializer;
import tools.jackson.databind.introspect.AnnotatedField;
import tools.jackson.databind.introspect.AnnotatedMember;
import tools.jackson.databind.introspect.AnnotatedMethod;
import tools.jackson.databind.ser.BeanPropertyWriter;
import tools.jackson.databind.ser.BeanSerializer;
import tools.jackson.databind.ser.PropertyWriter;
import tools.jackson.databind.ser.UnrolledBeanSerializer;
import tools.jackson.databind.ser.bean.BeanSerializerBase;
import tools.jackson.dataformat.cbor.CBORMapper;
import tools.jackson.dataformat.cbor.CBORWriteFeature;

/**
 * Writes a record whose components are all plain values — {@code long}, {@code int}, {@code
 * boolean} (boxed or not), {@code String} and {@code byte[]} — as the bytes Jackson's JSON
 * generator writes for it, without Jackson: {@code {"seq":1,"body":"AAAA"}}, each component under
 * the name and in the order of Jackson's own serializer, no white space, integers in decimal,
 * {@code byte[]} as padded standard base64. The {@code json} codec's {@code encode} of the bench's
 * {@code {"seq":1234567,"body":"<64 base64 characters>"}}, one thread on the bench machine: 87–95
 * ns through Jackson's databind and generator, 57–62 this way (JDK 17; JDK 25: 86 against 64). In
 * four interleaved before-and-after pairs of the two-JVM pipelined echo from the plain client
 * ({@code json}, four connections), Tether's server spent 473–624 ns of CPU a message before (mean
 * 558) and 492–538 after (mean 519).
 *
 * <p>In CBOR it writes what Jackson's CBOR generator writes: an indefinite-length map ({@code 0xbf}
 * … {@code 0xff}), each name as text, integers in the fewest bytes, {@code 0xf4}/{@code 0xf5},
 * strings of ASCII up to {@link #MAX_CBOR_TEXT} characters as text, {@code byte[]} as a byte
 * string; only where the mapper keeps the generator's defaults for those ({@link #plainCbor}). The
 * bench's message: 66 ns and 104 bytes allocated through Jackson, 32–44 ns and none this way.
 *
 * <p>Like {@link PlainRecordReader}, it only takes what is certain, and gives the rest to Jackson:
 * a message it {@linkplain #write declines} is encoded by Jackson from scratch. It declines a
 * message with a null component (Jackson's inclusion rules decide), a string holding anything but
 * printable ASCII other than {@code "} and {@code \} (Jackson's escaping decides), a string or
 * base64 text longer than the reader accepts (Jackson refuses it, in its words), in CBOR a string
 * beyond ASCII or {@link #MAX_CBOR_TEXT}, and a message whose accessor throws (Jackson calls it
 * again and reports it).
 *
 * <p>A type gets one only if Jackson would write it the plain way: a record written by Jackson's
 * own {@code BeanSerializer} with no type id, object id, filter, view, any-getter or unwrapping,
 * each component by a plain {@code BeanPropertyWriter} that writes nulls (so no inclusion rule
 * leaves a value out) through exactly the serializer Jackson uses for its type anywhere (not one an
 * annotation chose). The codec compares the first message of each type with Jackson's bytes and
 * keeps to Jackson for that type if they differ ({@link #confirmed}, {@link #refuse}).
 *
 * <p>This class is thread safe: it holds only what it was built with, and two flags.
 */
final class PlainRecordWriter {
  private enum Kind {
    LONG,
    INT,
    BOOLEAN,
    /** A {@code Long}, {@code Integer} or {@code Boolean}: may be null. */
    BOXED,
    STRING,
    BYTES
  }

  private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
  private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};
  private static final byte[] LONG_MIN =
      Long.toString(Long.MIN_VALUE).getBytes(StandardCharsets.US_ASCII);
  private static final Base64.Encoder BASE64 = Base64.getEncoder();

  /**
   * What comes before each value: in JSON {@code {"name":} for the first, {@code ,"name":} after;
   * in CBOR the name as text, after the start of an indefinite-length map for the first.
   */
  private final byte[][] prefixes;

  /** Writes CBOR rather than JSON. */
  private final boolean cbor;

  private final Kind[] kinds;

  /** Each component's accessor, {@code (Object)} to its own type, or to {@code Object} if boxed. */
  private final MethodHandle[] getters;

  /** Set once the codec has seen this writer's bytes equal Jackson's for a message. */
  private volatile boolean confirmed;

  /** Set if they differed, or Jackson refused the message: the type goes to Jackson. */
  private volatile boolean refused;

  private PlainRecordWriter(byte[][] prefixes, boolean cbor, Kind[] kinds, MethodHandle[] getters) {
    this.prefixes = prefixes;
    this.cbor = cbor;
    this.kinds = kinds;
    this.getters = getters;
  }

  /**
   * Returns a writer for {@code type} in the mapper's format (JSON or CBOR), or null if Jackson
   * might write it other than plainly.
   */
  static PlainRecordWriter of(ObjectMapper mapper, Class<?> type) {
    String format = mapper.tokenStreamFactory().getFormatName();
    boolean cbor = format.equalsIgnoreCase("cbor");
    if (!type.isRecord() || !(cbor ? plainCbor(mapper) : format.equalsIgnoreCase("json"))) {
      return null;
    }
    try {
      SerializationContext ctxt = mapper._serializationContext();
      JavaType javaType = ctxt.constructType(type);
      if (ctxt.findTypeSerializer(javaType) != null) {
        return null; // a type id goes with every value of the type
      }
      ValueSerializer<Object> root = ctxt.findTypedValueSerializer(type, true);
      if (root == null
          // Jackson's plain serializers (unrolled for up to six properties), not as-array,
          // unwrapping, @JsonValue, custom...
          || (root.getClass() != BeanSerializer.class
              && root.getClass() != UnrolledBeanSerializer.class)
          || !plainBean((BeanSerializerBase) root, ctxt, javaType)) {
        return null;
      }
      List<BeanPropertyWriter> properties = new ArrayList<>();
      for (Iterator<PropertyWriter> it = root.properties(); it.hasNext(); ) {
        if (!(it.next() instanceof BeanPropertyWriter property)
            || property.getClass() != BeanPropertyWriter.class) {
          return null; // a checked, virtual or unwrapping property
        }
        properties.add(property);
      }
      if (properties.size() != type.getRecordComponents().length) {
        return null; // a component ignored, or a property that is not a component
      }
      int count = properties.size();
      byte[][] prefixes = new byte[count][];
      Kind[] kinds = new Kind[count];
      MethodHandle[] getters = new MethodHandle[count];
      for (int i = 0; i < count; i++) {
        BeanPropertyWriter property = properties.get(i);
        Kind kind = plainKind(property, ctxt, type);
        String name = property.getName();
        if (kind == null
            || name.length() > JacksonMappers.MAX_NAME_LENGTH
            || LimitedGenerator.unpairedSurrogate(name) >= 0) {
          return null; // LimitedGenerator refuses such a name: Jackson's path says so
        }
        prefixes[i] = cbor ? cborPrefix(property, i == 0) : jsonPrefix(property, i == 0);
        kinds[i] = kind;
        getters[i] =
            getter(
                property.getMember(),
                property.getType().getRawClass(),
                kind == Kind.BOXED ? Object.class : property.getType().getRawClass());
        if (getters[i] == null) {
          return null;
        }
      }
      return new PlainRecordWriter(prefixes, cbor, kinds, getters);
    } catch (RuntimeException e) {
      return null; // Jackson cannot write the type, or not this way: its own path says why
    }
  }

  /**
   * Jackson's CBOR generator writes integers in the fewest bytes, and nothing before the value or
   * in place of a string: the defaults, which a writer here would otherwise have to follow.
   */
  private static boolean plainCbor(ObjectMapper mapper) {
    return mapper instanceof CBORMapper cbor
        && cbor.isEnabled(CBORWriteFeature.WRITE_MINIMAL_INTS)
        && !cbor.isEnabled(CBORWriteFeature.WRITE_TYPE_HEADER)
        && !cbor.isEnabled(CBORWriteFeature.STRINGREF);
  }

  private static byte[] jsonPrefix(BeanPropertyWriter property, boolean first) {
    byte[] quoted = property.getSerializedName().asQuotedUTF8();
    byte[] prefix = new byte[quoted.length + 4];
    prefix[0] = (byte) (first ? '{' : ',');
    prefix[1] = '"';
    System.arraycopy(quoted, 0, prefix, 2, quoted.length);
    prefix[prefix.length - 2] = '"';
    prefix[prefix.length - 1] = ':';
    return prefix;
  }

  private static byte[] cborPrefix(BeanPropertyWriter property, boolean first) {
    byte[] name = property.getSerializedName().asUnquotedUTF8();
    EncodeBuffer prefix = new EncodeBuffer(name.length + 10);
    if (first) {
      prefix.write(CborRecordScan.MAP_INDEFINITE);
    }
    writeCborHead(prefix, CborPrescan.MAJOR_TEXT, name.length);
    prefix.write(name, 0, name.length);
    return Arrays.copyOf(prefix.array(), prefix.position());
  }

  private static boolean plainBean(
      BeanSerializerBase bean, SerializationContext ctxt, JavaType type) {
    return !bean.usesObjectId()
        && bean.getFilterId() == null
        // views select properties only when one is active; the codec's writers have none
        && ctxt.getActiveView() == null
        && ctxt.introspectBeanDescription(type).findAnyGetter() == null;
  }

  /** The component's kind, or null if Jackson might write it other than plainly. */
  private static Kind plainKind(
      BeanPropertyWriter property, SerializationContext ctxt, Class<?> record) {
    if (property.isUnwrapping()
        || property.willSuppressNulls() // an inclusion rule other than ALWAYS
        || property.findPropertyInclusion(ctxt.getConfig(), record).getValueInclusion()
            == JsonInclude.Include.CUSTOM
        || property.getTypeSerializer() != null
        || !property.hasSerializer()) {
      return null; // (a null goes to Jackson, whatever its null serializer)
    }
    JavaType type = property.getType();
    if (property.getSerializer() != ctxt.findValueSerializer(type)) {
      return null; // not the serializer Jackson writes the type with anywhere: an annotation's
    }
    Class<?> raw = type.getRawClass();
    if (raw == long.class) {
      return Kind.LONG;
    } else if (raw == int.class) {
      return Kind.INT;
    } else if (raw == boolean.class) {
      return Kind.BOOLEAN;
    } else if (raw == Long.class || raw == Integer.class || raw == Boolean.class) {
      return Kind.BOXED;
    } else if (raw == String.class) {
      return Kind.STRING;
    } else if (raw == byte[].class) {
      return Kind.BYTES;
    }
    return null;
  }

  /**
   * The accessor Jackson calls, of type {@code raw}, as {@code (Object) -> returned}; null if it
   * cannot be called from here (Jackson made it accessible where it needed to, and the handle keeps
   * that).
   */
  private static MethodHandle getter(AnnotatedMember member, Class<?> raw, Class<?> returned) {
    try {
      MethodHandle handle;
      if (member instanceof AnnotatedMethod method) {
        Method accessor = method.getAnnotated();
        if (accessor.getParameterCount() != 0 || accessor.getReturnType() != raw) {
          return null;
        }
        handle = MethodHandles.lookup().unreflect(accessor);
      } else if (member instanceof AnnotatedField field) {
        Field f = field.getAnnotated();
        if (f.getType() != raw) {
          return null;
        }
        handle = MethodHandles.lookup().unreflectGetter(f);
      } else {
        return null;
      }
      return handle.asType(MethodType.methodType(returned, Object.class));
    } catch (IllegalAccessException | RuntimeException e) {
      return null;
    }
  }

  /** True once the codec has compared this writer's bytes with Jackson's, and they were equal. */
  boolean confirmed() {
    return confirmed;
  }

  void confirm() {
    confirmed = true;
  }

  /** Leaves every later message to Jackson. */
  void refuse() {
    refused = true;
  }

  /**
   * Appends {@code message}'s JSON to {@code out}; returns false, with {@code out} as it was, where
   * it leaves the message to Jackson. An {@link Error} from an accessor is thrown, {@code out} as
   * it was.
   */
  boolean write(Object message, EncodeBuffer out, LimitedGenerator.Base64Text scratch) {
    if (refused) {
      return false;
    }
    int start = out.position();
    try {
      if (writeFields(message, out, scratch)) {
        return true;
      }
    } catch (Error e) {
      out.position(start);
      throw e;
    } catch (Throwable t) {
      // an accessor threw: Jackson calls it again, and reports it in its words
    }
    out.position(start);
    return false;
  }

  private boolean writeFields(Object message, EncodeBuffer out, LimitedGenerator.Base64Text scratch)
      throws Throwable {
    for (int i = 0; i < kinds.length; i++) {
      byte[] prefix = prefixes[i];
      out.write(prefix, 0, prefix.length);
      MethodHandle getter = getters[i];
      switch (kinds[i]) {
        case LONG -> writeLong(out, (long) getter.invokeExact(message));
        case INT -> writeLong(out, (int) getter.invokeExact(message));
        case BOOLEAN -> writeBoolean(out, (boolean) getter.invokeExact(message));
        case BOXED -> {
          Object value = (Object) getter.invokeExact(message);
          if (value == null) {
            return false;
          } else if (value instanceof Boolean on) {
            writeBoolean(out, on);
          } else {
            writeLong(out, ((Number) value).longValue());
          }
        }
        case STRING -> {
          String value = (String) getter.invokeExact(message);
          if (!(cbor ? writeCborText(out, value) : writeString(out, value))) {
            return false;
          }
        }
        case BYTES -> {
          byte[] value = (byte[]) getter.invokeExact(message);
          if (!(cbor ? writeCborBytes(out, value) : writeBase64(out, value, scratch))) {
            return false;
          }
        }
      }
    }
    if (cbor) {
      if (kinds.length == 0) {
        out.write(CborRecordScan.MAP_INDEFINITE); // a record without components
      }
      out.write(CborRecordScan.BREAK);
    } else {
      if (kinds.length == 0) {
        out.write('{');
      }
      out.write('}');
    }
    return true;
  }

  private void writeLong(EncodeBuffer out, long value) {
    if (cbor) {
      writeCborInt(out, value);
    } else {
      writeJsonLong(out, value);
    }
  }

  private void writeBoolean(EncodeBuffer out, boolean value) {
    if (cbor) {
      out.write(value ? CborRecordScan.TRUE : CborRecordScan.FALSE);
    } else {
      byte[] text = value ? TRUE : FALSE;
      out.write(text, 0, text.length);
    }
  }

  /** Writes {@code value} in decimal, as Jackson's {@code NumberOutput} does. */
  static void writeJsonLong(EncodeBuffer out, long value) {
    if (value == Long.MIN_VALUE) {
      out.write(LONG_MIN, 0, LONG_MIN.length);
      return;
    }
    out.ensureWritable(20);
    byte[] bytes = out.array();
    int at = out.position();
    if (value < 0) {
      bytes[at++] = '-';
      value = -value;
    }
    int end = at + digits(value);
    for (int i = end - 1; i >= at; i--) {
      long next = value / 10;
      bytes[i] = (byte) ('0' + (value - next * 10));
      value = next;
    }
    out.position(end);
  }

  /** The number of decimal digits of {@code value}, which is not negative. */
  private static int digits(long value) {
    int digits = 1;
    for (long bound = 10; digits < 19 && value >= bound; bound *= 10) {
      digits++;
    }
    return digits;
  }

  /**
   * Writes a string of printable ASCII other than {@code "} and {@code \}, which Jackson writes as
   * it is; returns false for anything else, and for a string longer than the reader accepts.
   */
  private static boolean writeString(EncodeBuffer out, String value) {
    if (value == null || value.length() > JacksonMappers.MAX_STRING_LENGTH) {
      return false;
    }
    int length = value.length();
    out.ensureWritable(length + 2);
    byte[] bytes = out.array();
    int at = out.position();
    bytes[at++] = '"';
    for (int i = 0; i < length; i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') {
        return false;
      }
      bytes[at++] = (byte) c;
    }
    bytes[at++] = '"';
    out.position(at);
    return true;
  }

  /**
   * Writes {@code data} as a string of padded standard base64, Jackson's default variant, with the
   * JDK's encoder (which the JIT compiles to vector instructions: a third of the time of a plain
   * loop for 48 bytes) as {@link LimitedGenerator} does; returns false for null, and for a text
   * longer than the reader accepts.
   */
  private static boolean writeBase64(
      EncodeBuffer out, byte[] data, LimitedGenerator.Base64Text scratch) {
    if (data == null) {
      return false;
    }
    long textLength = (data.length + 2L) / 3 * 4;
    if (textLength > JacksonMappers.MAX_STRING_LENGTH) {
      return false;
    }
    byte[] text = scratch.room((int) textLength);
    int written = BASE64.encode(data, text);
    out.ensureWritable(written + 2);
    byte[] bytes = out.array();
    int at = out.position();
    bytes[at] = '"';
    System.arraycopy(text, 0, bytes, at + 1, written);
    bytes[at + 1 + written] = '"';
    out.position(at + written + 2);
    return true;
  }

  // ------------------------------------------------------------------ CBOR

  /**
   * Longest string written here. Jackson's CBOR generator writes a string of more than 3,996
   * characters in chunks of indefinite length, and a shorter one with its length in the fewest
   * bytes, as here.
   */
  static final int MAX_CBOR_TEXT = 1024;

  /**
   * Writes {@code value} as CBOR integer with its argument in the fewest bytes, as Jackson does.
   */
  private static void writeCborInt(EncodeBuffer out, long value) {
    if (value < 0) {
      writeCborHead(out, CborPrescan.MAJOR_NEGATIVE, -1 - value);
    } else {
      writeCborHead(out, CborPrescan.MAJOR_UNSIGNED, value);
    }
  }

  /** Writes an item's initial byte and its argument (not negative) in the fewest bytes. */
  private static void writeCborHead(EncodeBuffer out, int major, long argument) {
    int type = major << 5;
    int size;
    if (argument < 24) {
      out.write(type | (int) argument);
      return;
    } else if (argument < 1 << 8) {
      out.write(type | 24);
      size = 1;
    } else if (argument < 1 << 16) {
      out.write(type | 25);
      size = 2;
    } else if (argument < 1L << 32) {
      out.write(type | 26);
      size = 4;
    } else {
      out.write(type | 27);
      size = 8;
    }
    out.ensureWritable(size);
    byte[] bytes = out.array();
    int at = out.position();
    for (int i = size - 1; i >= 0; i--, argument >>>= 8) {
      bytes[at + i] = (byte) argument;
    }
    out.position(at + size);
  }

  /**
   * Writes a string of ASCII, whose UTF-8 is its characters, up to {@link #MAX_CBOR_TEXT} long;
   * returns false for anything else.
   */
  private static boolean writeCborText(EncodeBuffer out, String value) {
    if (value == null || value.length() > MAX_CBOR_TEXT) {
      return false;
    }
    int length = value.length();
    int start = out.position();
    writeCborHead(out, CborPrescan.MAJOR_TEXT, length);
    out.ensureWritable(length);
    byte[] bytes = out.array();
    int at = out.position();
    for (int i = 0; i < length; i++) {
      char c = value.charAt(i);
      if (c > 0x7f) {
        out.position(start);
        return false;
      }
      bytes[at + i] = (byte) c;
    }
    out.position(at + length);
    return true;
  }

  /** Writes {@code data} as a CBOR byte string; returns false for null. */
  private static boolean writeCborBytes(EncodeBuffer out, byte[] data) {
    if (data == null) {
      return false;
    }
    writeCborHead(out, CborPrescan.MAJOR_BYTES, data.length);
    out.write(data, 0, data.length);
    return true;
  }
}
