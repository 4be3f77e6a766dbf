package dev.tether.codec.jackson;

import dev.tether.codec.CodecLimits;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.BeanDescription;
import tools.jackson.databind.BeanProperty;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.SerializationConfig;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.ValueSerializer;
import tools.jackson.databind.jsontype.TypeSerializer;
import tools.jackson.databind.ser.BeanPropertyWriter;
import tools.jackson.databind.ser.ValueSerializerModifier;
import tools.jackson.databind.type.ArrayType;
import tools.jackson.databind.type.CollectionType;
import tools.jackson.databind.type.MapType;

/**
 * The encoder's half of "never a different value, never a surprise for the receiver": before a
 * value is written, checks that the reader will turn it back into an equal value ({@link
 * DataModel}) and accept it under the same {@link CodecLimits}. Fields and elements whose declared
 * type can be misread get a check of their value; every collection, map and object array gets a
 * check of its size; hashed sets and maps get a check for elements sharing a hash code.
 *
 * <p>A refused value fails the whole encode with a {@link DatabindException} naming the path to it;
 * the codec turns that into a {@code CodecException}. Values of ordinary declared types (records,
 * strings, numbers, {@code java.time}) pay nothing.
 */
final class EncodeChecks extends ValueSerializerModifier {
  private static final long serialVersionUID = 1L;

  private final transient CodecLimits limits;
  private final transient DataModel model;

  EncodeChecks(CodecLimits limits) {
    this.limits = limits;
    this.model = new DataModel(limits);
  }

  @Override
  public List<BeanPropertyWriter> changeProperties(
      SerializationConfig config,
      BeanDescription.Supplier beanDesc,
      List<BeanPropertyWriter> properties) {
    List<BeanPropertyWriter> checked = new ArrayList<>(properties.size());
    for (BeanPropertyWriter property : properties) {
      checked.add(
          DataModel.needsCheck(property.getType())
              ? new CheckedProperty(property, model)
              : property);
    }
    return checked;
  }

  @Override
  public ValueSerializer<?> modifySerializer(
      SerializationConfig config,
      BeanDescription.Supplier beanDesc,
      ValueSerializer<?> serializer) {
    String refusal = DataModel.refusal(beanDesc.getBeanClass());
    if (refusal != null) {
      return new CheckedSerializer(serializer, value -> refusal);
    }
    return serializer;
  }

  @Override
  public ValueSerializer<?> modifyCollectionSerializer(
      SerializationConfig config,
      CollectionType type,
      BeanDescription.Supplier beanDesc,
      ValueSerializer<?> serializer) {
    JavaType content = type.getContentType();
    boolean elementChecks = DataModel.needsCheck(content);
    Class<?> raw = type.getRawClass();
    boolean hashed =
        Set.class.isAssignableFrom(raw)
            && !SortedSet.class.isAssignableFrom(raw)
            && !EnumSet.class.isAssignableFrom(raw)
            && !CodecLimitsAccess.ordered(content);
    return new CheckedSerializer(
        serializer,
        value -> {
          Collection<?> collection = (Collection<?>) value;
          String why = limits.tooManyElements(collection.size(), kind(value));
          if (why == null && elementChecks) {
            for (Object element : collection) {
              why = model.refusal(content, element);
              if (why != null) {
                break;
              }
            }
          }
          if (why == null && hashed && collection.size() > limits.maxSameHashElements()) {
            Object[] elements = collection.toArray();
            why = limits.sameHashViolation(elements, elements.length, kind(value));
          }
          return why;
        });
  }

  @Override
  public ValueSerializer<?> modifyArraySerializer(
      SerializationConfig config,
      ArrayType type,
      BeanDescription.Supplier beanDesc,
      ValueSerializer<?> serializer) {
    JavaType content = type.getContentType();
    if (content.isPrimitive()) {
      return serializer; // bounded by the frame size, like strings
    }
    boolean elementChecks = DataModel.needsCheck(content);
    return new CheckedSerializer(
        serializer,
        value -> {
          int length = Array.getLength(value);
          String why = limits.tooManyElements(length, kind(value));
          for (int i = 0; why == null && elementChecks && i < length; i++) {
            why = model.refusal(content, Array.get(value, i));
          }
          return why;
        });
  }

  @Override
  public ValueSerializer<?> modifyMapSerializer(
      SerializationConfig config,
      MapType type,
      BeanDescription.Supplier beanDesc,
      ValueSerializer<?> serializer) {
    JavaType content = type.getContentType();
    boolean valueChecks = DataModel.needsCheck(content);
    return new CheckedSerializer(
        serializer,
        value -> {
          Map<?, ?> map = (Map<?, ?>) value;
          String why = limits.tooManyElements(map.size(), kind(value));
          if (why == null && valueChecks) {
            for (Object element : map.values()) {
              why = model.refusal(content, element);
              if (why != null) {
                break;
              }
            }
          }
          return why;
        });
  }

  @Override
  public ValueSerializer<?> modifyKeySerializer(
      SerializationConfig config,
      JavaType keyType,
      BeanDescription.Supplier beanDesc,
      ValueSerializer<?> serializer) {
    return new CheckedSerializer(serializer, key -> DataModel.keyRefusal(keyType, key));
  }

  private static String kind(Object container) {
    return container.getClass().getName();
  }

  /** Gives the rule of {@link CodecLimits#isOrderedOnCollision} a declared type. */
  private static final class CodecLimitsAccess {
    static boolean ordered(JavaType type) {
      Class<?> raw = type.getRawClass();
      return java.lang.reflect.Modifier.isFinal(raw.getModifiers())
          && CodecLimits.isOrderedOnCollision(raw);
    }
  }

  /** A property whose value is checked against its declared type before it is written. */
  private static final class CheckedProperty extends BeanPropertyWriter {
    private static final long serialVersionUID = 1L;

    private final transient DataModel model;

    CheckedProperty(BeanPropertyWriter base, DataModel model) {
      super(base);
      this.model = model;
    }

    @Override
    public void serializeAsProperty(Object bean, JsonGenerator g, SerializationContext ctxt)
        throws Exception {
      String why = model.refusal(getType(), get(bean));
      if (why != null) {
        throw DatabindException.from(g, "field '" + getName() + "': " + why);
      }
      super.serializeAsProperty(bean, g, ctxt);
    }
  }

  /** Checks a value before its own serializer writes it. */
  static final class CheckedSerializer extends ValueSerializer<Object> {
    /** Returns why a value is refused, or null. */
    interface Check {
      String refusal(Object value);
    }

    private final ValueSerializer<Object> delegate;
    private final Check check;

    @SuppressWarnings("unchecked")
    CheckedSerializer(ValueSerializer<?> delegate, Check check) {
      this.delegate = (ValueSerializer<Object>) delegate;
      this.check = check;
    }

    private void check(Object value, JsonGenerator g) {
      String why = check.refusal(value);
      if (why != null) {
        throw DatabindException.from(g, why);
      }
    }

    @Override
    public void serialize(Object value, JsonGenerator g, SerializationContext ctxt)
        throws JacksonException {
      check(value, g);
      delegate.serialize(value, g, ctxt);
    }

    @Override
    public void serializeWithType(
        Object value, JsonGenerator g, SerializationContext ctxt, TypeSerializer typeSer)
        throws JacksonException {
      check(value, g);
      delegate.serializeWithType(value, g, ctxt, typeSer);
    }

    @Override
    public ValueSerializer<?> createContextual(SerializationContext ctxt, BeanProperty property) {
      ValueSerializer<?> contextual = delegate.createContextual(ctxt, property);
      return contextual == delegate ? this : new CheckedSerializer(contextual, check);
    }

    @Override
    public void resolve(SerializationContext ctxt) {
      delegate.resolve(ctxt);
    }

    @Override
    public boolean isEmpty(SerializationContext ctxt, Object value) {
      return delegate.isEmpty(ctxt, value);
    }

    @Override
    public Class<?> handledType() {
      return delegate.handledType();
    }

    @Override
    public boolean usesObjectId() {
      return delegate.usesObjectId();
    }

    @Override
    public ValueSerializer<?> getDelegatee() {
      return delegate;
    }
  }
}
