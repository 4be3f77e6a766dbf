package dev.tether.codec.jackson;

import dev.tether.codec.CodecLimits;
import java.lang.reflect.Array;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.MonthDay;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.Period;
import java.time.YearMonth;
import java.time.ZonedDateTime;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.BeanDescription;
import tools.jackson.databind.BeanProperty;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.DeserializationConfig;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.deser.ValueDeserializerModifier;
import tools.jackson.databind.deser.std.DelegatingDeserializer;
import tools.jackson.databind.deser.std.StdDeserializer;
import tools.jackson.databind.type.ArrayType;
import tools.jackson.databind.type.CollectionType;
import tools.jackson.databind.type.LogicalType;
import tools.jackson.databind.type.MapType;

/**
 * The decoder's half: reads only what the encoder writes, within the same {@link CodecLimits}.
 *
 * <ul>
 *   <li>{@code java.time} values the encoder writes as ISO-8601 text are read only from text.
 *       Jackson would also take a number, as seconds or days since the epoch, and turns one it
 *       cannot represent into a different value: {@code 1e999999999} became the epoch as an {@code
 *       Instant} and zero as a {@code Duration}.
 *   <li>A set whose elements {@code HashMap} cannot order when their hashes collide (records,
 *       beans) is read into a list first, checked for more than {@code maxSameHashElements}
 *       elements sharing a hash code, and only then hashed; otherwise 50,000 colliding records took
 *       40 seconds to insert.
 *   <li>Every collection, map and object array is checked against {@code maxElements}.
 *   <li>A map whose declared key type the encoder refuses is refused before it is read, and so is a
 *       {@code java.net.URL} ({@link DataModel#URL_REFUSAL}) or a {@code java.lang.Class} ({@link
 *       DataModel#CLASS_REFUSAL}).
 *   <li>A {@code byte[]} in the encoder's base64 form is decoded by {@link Base64Bytes}, faster
 *       than Jackson and to the same bytes.
 * </ul>
 */
final class DecodeChecks extends ValueDeserializerModifier {
  private static final long serialVersionUID = 1L;

  /** The {@code java.time} types the encoder writes as text: read back from text only. */
  private static final Set<Class<?>> ISO_TEXT_TYPES =
      Set.of(
          Instant.class,
          OffsetDateTime.class,
          ZonedDateTime.class,
          LocalDateTime.class,
          LocalDate.class,
          LocalTime.class,
          OffsetTime.class,
          Duration.class,
          Period.class,
          YearMonth.class,
          MonthDay.class);

  private final transient CodecLimits limits;

  DecodeChecks(CodecLimits limits) {
    this.limits = limits;
  }

  @Override
  public ValueDeserializer<?> modifyDeserializer(
      DeserializationConfig config,
      BeanDescription.Supplier beanDesc,
      ValueDeserializer<?> deserializer) {
    Class<?> type = beanDesc.getBeanClass();
    String refusal = DataModel.refusal(type);
    if (refusal != null) {
      return new Refusing(type, refusal);
    }
    return ISO_TEXT_TYPES.contains(type) ? new TextOnly(deserializer, type) : deserializer;
  }

  @Override
  public ValueDeserializer<?> modifyCollectionDeserializer(
      DeserializationConfig config,
      CollectionType type,
      BeanDescription.Supplier beanDesc,
      ValueDeserializer<?> deserializer) {
    Class<?> raw = type.getRawClass();
    JavaType content = type.getContentType();
    boolean plainSet = raw == Set.class || raw == HashSet.class || raw == LinkedHashSet.class;
    boolean ordered =
        Modifier.isFinal(content.getRawClass().getModifiers())
            && CodecLimits.isOrderedOnCollision(content.getRawClass());
    if (plainSet && !ordered) {
      return new StagedSet(type, null, limits);
    }
    return new SizeChecked(deserializer, limits);
  }

  @Override
  public ValueDeserializer<?> modifyArrayDeserializer(
      DeserializationConfig config,
      ArrayType type,
      BeanDescription.Supplier beanDesc,
      ValueDeserializer<?> deserializer) {
    Class<?> content = type.getContentType().getRawClass();
    if (content == byte.class) {
      return new Base64Bytes(deserializer);
    }
    return content.isPrimitive() ? deserializer : new SizeChecked(deserializer, limits);
  }

  @Override
  public ValueDeserializer<?> modifyMapDeserializer(
      DeserializationConfig config,
      MapType type,
      BeanDescription.Supplier beanDesc,
      ValueDeserializer<?> deserializer) {
    if (!DataModel.isCarriedKeyType(type.getKeyType())) {
      return new Refusing(
          type.getRawClass(),
          "maps with keys of class "
              + type.getKeyType().getRawClass().getName()
              + " are not carried: keys must be strings, numbers, booleans, characters, enums or"
              + " UUIDs");
    }
    return new SizeChecked(deserializer, limits);
  }

  /** Reads a {@code java.time} value only from a string. */
  private static final class TextOnly extends DelegatingDeserializer {
    private static final long serialVersionUID = 1L;
    private final Class<?> type;

    TextOnly(ValueDeserializer<?> delegate, Class<?> type) {
      super(delegate);
      this.type = type;
    }

    @Override
    protected ValueDeserializer<?> newDelegatingInstance(ValueDeserializer<?> newDelegatee) {
      return new TextOnly(newDelegatee, type);
    }

    @Override
    public Object deserialize(JsonParser p, DeserializationContext ctxt) throws JacksonException {
      if (!p.hasToken(JsonToken.VALUE_STRING)) {
        throw DatabindException.from(
            p,
            "a "
                + type.getSimpleName()
                + " must be an ISO-8601 string, not "
                + p.currentToken()
                + " (a number could only be guessed at, and one out of range would become another"
                + " value)");
      }
      return super.deserialize(p, ctxt);
    }
  }

  /** Reads a collection, map or array and refuses it if it holds more than maxElements. */
  private static final class SizeChecked extends DelegatingDeserializer {
    private static final long serialVersionUID = 1L;
    private final transient CodecLimits limits;

    SizeChecked(ValueDeserializer<?> delegate, CodecLimits limits) {
      super(delegate);
      this.limits = limits;
    }

    @Override
    protected ValueDeserializer<?> newDelegatingInstance(ValueDeserializer<?> newDelegatee) {
      return new SizeChecked(newDelegatee, limits);
    }

    @Override
    public Object deserialize(JsonParser p, DeserializationContext ctxt) throws JacksonException {
      return check(p, super.deserialize(p, ctxt));
    }

    @Override
    public Object deserialize(JsonParser p, DeserializationContext ctxt, Object intoValue)
        throws JacksonException {
      return check(p, super.deserialize(p, ctxt, intoValue));
    }

    private Object check(JsonParser p, Object value) {
      long size;
      if (value instanceof Collection<?> collection) {
        size = collection.size();
      } else if (value instanceof Map<?, ?> map) {
        size = map.size();
      } else if (value != null && value.getClass().isArray()) {
        size = Array.getLength(value);
      } else {
        return value;
      }
      String why = limits.tooManyElements(size, value.getClass().getName());
      if (why != null) {
        throw DatabindException.from(p, why);
      }
      return value;
    }
  }

  /**
   * Reads a set into a list, checks it, then builds the set: a set or map of records inserts
   * elements that share a hash code in quadratic time, so they are counted before any is inserted.
   */
  private static final class StagedSet extends StdDeserializer<Object> {
    private static final long serialVersionUID = 1L;
    private final CollectionType type;
    private final transient ValueDeserializer<Object> list;
    private final transient CodecLimits limits;

    StagedSet(CollectionType type, ValueDeserializer<Object> list, CodecLimits limits) {
      super(type);
      this.type = type;
      this.list = list;
      this.limits = limits;
    }

    @Override
    public ValueDeserializer<?> createContextual(
        DeserializationContext ctxt, BeanProperty property) {
      JavaType listType =
          ctxt.getTypeFactory().constructCollectionType(List.class, type.getContentType());
      return new StagedSet(type, ctxt.findContextualValueDeserializer(listType, property), limits);
    }

    @Override
    public Object deserialize(JsonParser p, DeserializationContext ctxt) throws JacksonException {
      if (list == null) {
        throw DatabindException.from(p, "StagedSet used before createContextual");
      }
      Collection<?> elements = (Collection<?>) list.deserialize(p, ctxt);
      Object[] array = elements.toArray();
      String why = limits.sameHashViolation(array, array.length, type.getRawClass().getName());
      if (why != null) {
        throw DatabindException.from(p, why);
      }
      Set<Object> set =
          type.getRawClass() == LinkedHashSet.class
              ? new LinkedHashSet<>(Math.max(16, (int) (array.length / .75f) + 1))
              : new HashSet<>(Math.max(16, (int) (array.length / .75f) + 1));
      for (Object element : array) {
        set.add(element);
      }
      return set;
    }

    @Override
    public LogicalType logicalType() {
      return LogicalType.Collection;
    }
  }

  /** Refuses a declared type outright, before reading any of it. */
  private static final class Refusing extends StdDeserializer<Object> {
    private static final long serialVersionUID = 1L;
    private final String reason;

    Refusing(Class<?> type, String reason) {
      super(type);
      this.reason = reason;
    }

    @Override
    public Object deserialize(JsonParser p, DeserializationContext ctxt) throws JacksonException {
      throw DatabindException.from(p, reason);
    }
  }
}
