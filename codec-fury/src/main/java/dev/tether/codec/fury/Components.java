package dev.tether.codec.fury;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The values a record or bean holds that Fory reads as objects of their own (its components or
 * fields that are not primitive), with their declared types, read through method handles made once
 * per class and kept for the class's lifetime ({@link #of}). A JDK class and a leaf ({@link
 * #isLeaf}) hold none.
 *
 * <p>This class is immutable and thread safe.
 */
final class Components {
  /** One per class, shared by {@link DepthProbe} and {@link StringCheck}: reflection runs once. */
  private static final ClassValue<Components> OF_CLASS =
      new ClassValue<>() {
        @Override
        protected Components computeValue(Class<?> type) {
          return build(type);
        }
      };

  final MethodHandle[] accessors;
  final Type[] types;

  private Components(MethodHandle[] accessors, Type[] types) {
    this.accessors = accessors;
    this.types = types;
  }

  /** Reads component {@code index} of {@code owner}, an instance of the class these describe. */
  Object get(int index, Object owner) {
    try {
      return (Object) accessors[index].invokeExact(owner);
    } catch (Throwable e) {
      throw new IllegalStateException(
          "cannot read a component of " + owner.getClass().getName() + ": " + e, e);
    }
  }

  /** Returns the components of {@code type}, worked out at its first use. */
  static Components of(Class<?> type) {
    return OF_CLASS.get(type);
  }

  private static Components build(Class<?> type) {
    List<MethodHandle> accessors = new ArrayList<>();
    List<Type> types = new ArrayList<>();
    MethodHandles.Lookup lookup = MethodHandles.lookup();
    try {
      if (type.isRecord()) {
        for (RecordComponent component : type.getRecordComponents()) {
          if (component.getType().isPrimitive()) {
            continue;
          }
          Method accessor = component.getAccessor();
          accessor.trySetAccessible();
          accessors.add(lookup.unreflect(accessor));
          types.add(component.getGenericType());
        }
      } else if (!isLeaf(type) && !type.getName().startsWith("java.")) {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
          for (Field field : c.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers())
                || Modifier.isTransient(field.getModifiers())
                || field.getType().isPrimitive()
                || !field.trySetAccessible()) {
              continue;
            }
            accessors.add(lookup.unreflectGetter(field));
            types.add(field.getGenericType());
          }
        }
      }
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot read the components of " + type.getName(), e);
    }
    // one type for every handle, so that get calls each exactly, without adapting it per call
    MethodType generic = MethodType.methodType(Object.class, Object.class);
    return new Components(
        accessors.stream().map(h -> h.asType(generic)).toArray(MethodHandle[]::new),
        types.toArray(Type[]::new));
  }

  /**
   * Whether a value of {@code type} holds one other value: an {@code Optional}, an atomic
   * reference.
   */
  static boolean isHolder(Class<?> type) {
    return type == Optional.class || type == AtomicReference.class;
  }

  /** The value {@code holder} holds, or null; {@code holder}'s class is one {@link #isHolder}. */
  static Object held(Object holder) {
    return holder instanceof Optional<?> optional
        ? optional.orElse(null)
        : ((AtomicReference<?>) holder).get();
  }

  /** A value that holds no other value Fory would read as an object of its own. */
  static boolean isLeaf(Class<?> type) {
    return type.isEnum()
        || (type.isArray() && type.getComponentType().isPrimitive())
        || (type.getName().startsWith("java.")
            && !Collection.class.isAssignableFrom(type)
            && !Map.class.isAssignableFrom(type)
            && !type.isArray()
            && !isHolder(type)
            && type != Object.class);
  }

  static Class<?> rawClass(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof ParameterizedType p) {
      return (Class<?>) p.getRawType();
    }
    if (type instanceof GenericArrayType g) {
      Class<?> component = rawClass(g.getGenericComponentType());
      return component == null ? null : component.arrayType();
    }
    return null;
  }
}
