package dev.tether.codec.jackson;

import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
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

  private enum Kind {
    LONG,
    INT,
    BOOLEAN,
    DOUBLE,
    STRING,
    BYTES
  }

  private final String[] names;
  private final Kind[] kinds;
  private final int[] positions;
  private final long all;
  private final MethodHandle creator;

  private PlainRecordReader(String[] names, Kind[] kinds, int[] positions, MethodHandle creator) {
    this.names = names;
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
        if (kind == null
            || position < 0
            || position >= count
            || (positionsSeen & (1L << position)) != 0
            || same == null
            || same.getCreatorIndex() != position) {
          return null;
        }
        positionsSeen |= 1L << position;
        names[i] = property.getName();
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
    try {
      return (Object) creator.invokeExact(args);
    } catch (Throwable t) {
      return CREATOR_THREW;
    }
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
