package dev.tether.codec.fury;

import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Refuses, before Fory writes it, a message nested deeper than the reader's {@code maxDepth}. Fory
 * checks depth only when it reads: its writer would encode a 500-level tree that the receiver then
 * refuses, closing the connection over one message. So the encoder measures first.
 *
 * <p>Each record, bean, collection, map, object array, {@code Optional}, {@code AtomicReference},
 * throwable and value inside another is one level, the message itself the first. That is never less
 * than Fory's reader counts (it counts a chain of n records as n levels, and typed collections as
 * none), so whatever this accepts, the reader accepts; a chain of {@code maxDepth} records is
 * exactly the limit on both ends.
 *
 * <p>Most messages cost nothing: the deepest nesting a class's declared types allow is computed
 * once per type, and only a message whose types allow more than {@code maxDepth} (a recursive
 * record, a field declared {@code Object} or as an interface) is walked, and then only where its
 * declared types do not already bound the rest.
 *
 * <p>This class is thread safe.
 */
final class DepthProbe {
  /** The bound of a type whose values can nest without end. */
  private static final int UNBOUNDED = Integer.MAX_VALUE;

  private final int maxDepth;
  private final Map<Type, Integer> bounds = new ConcurrentHashMap<>();

  DepthProbe(int maxDepth) {
    this.maxDepth = maxDepth;
  }

  /**
   * Throws if {@code message} nests deeper than {@code maxDepth}.
   *
   * @throws FuryLimitException naming the limit
   */
  void check(Object message) {
    walk(message, message.getClass(), 0);
  }

  private void walk(Object value, Type declared, int depth) {
    if (value == null) {
      return;
    }
    int level = depth + 1;
    if (level > maxDepth) {
      throw new FuryLimitException(
          "the message nests deeper than the limit of "
              + maxDepth
              + " levels (CodecLimits.maxDepth), which its reader would refuse");
    }
    int bound = Math.max(bound(declared), bound(value.getClass()));
    if (bound != UNBOUNDED && depth + bound <= maxDepth) {
      return; // nothing below can go deeper than the limit
    }
    if (value instanceof Collection<?> collection) {
      Type element = typeArgument(declared, 0);
      for (Object e : collection) {
        walk(e, element, level);
      }
    } else if (value instanceof Map<?, ?> map) {
      Type key = typeArgument(declared, 0);
      Type mapped = typeArgument(declared, 1);
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        walk(entry.getKey(), key, level);
        walk(entry.getValue(), mapped, level);
      }
    } else if (Components.isHolder(value.getClass())) {
      walk(Components.held(value), typeArgument(declared, 0), level);
    } else if (value instanceof Object[] array) {
      Type component = value.getClass().getComponentType();
      for (Object e : array) {
        walk(e, component, level);
      }
    } else {
      Components of = Components.of(value.getClass());
      for (int i = 0; i < of.accessors.length; i++) {
        walk(of.get(i, value), of.types[i], level);
      }
      if (value instanceof Throwable throwable) {
        walkThrowable(throwable, level);
      }
    }
  }

  /**
   * What Fory writes of a throwable beyond its class's own fields, each a value of its own: the
   * message, the stack trace (an array of elements), the cause and the suppressed throwables (an
   * array). A chain of causes is as deep as it is long.
   */
  private void walkThrowable(Throwable throwable, int level) {
    walk(throwable.getMessage(), String.class, level);
    walk(throwable.getStackTrace(), StackTraceElement[].class, level);
    walk(throwable.getCause(), Throwable.class, level);
    walk(throwable.getSuppressed(), Throwable[].class, level);
  }

  /** The deepest a value declared {@code type} can nest, itself included, or UNBOUNDED. */
  private int bound(Type type) {
    Integer known = bounds.get(type);
    if (known != null) {
      return known;
    }
    int bound = bound(type, new HashSet<>());
    bounds.put(type, bound);
    return bound;
  }

  private int bound(Type type, Set<Class<?>> visiting) {
    Class<?> raw = Components.rawClass(type);
    if (raw == null || raw == Object.class) {
      return UNBOUNDED; // a type variable, a wildcard, Object: anything
    }
    if (raw.isPrimitive()) {
      return 0;
    }
    if (Throwable.class.isAssignableFrom(raw)) {
      return UNBOUNDED; // its cause, and the cause's cause
    }
    if (Components.isLeaf(raw)) {
      return 1;
    }
    if (Collection.class.isAssignableFrom(raw) || Components.isHolder(raw)) {
      return plusOne(bound(typeArgument(type, 0), visiting));
    }
    if (Map.class.isAssignableFrom(raw)) {
      return plusOne(
          Math.max(bound(typeArgument(type, 0), visiting), bound(typeArgument(type, 1), visiting)));
    }
    if (raw.isArray()) {
      Type component =
          type instanceof GenericArrayType g ? g.getGenericComponentType() : raw.getComponentType();
      return plusOne(bound(component, visiting));
    }
    if (raw.isSealed()) {
      int deepest = 0;
      for (Class<?> permitted : raw.getPermittedSubclasses()) {
        deepest = Math.max(deepest, bound(permitted, visiting));
      }
      return deepest;
    }
    if (raw.isInterface() || Modifier.isAbstract(raw.getModifiers()) || !visiting.add(raw)) {
      return UNBOUNDED; // any subclass, or a type that holds itself
    }
    int deepest = 0;
    for (Type child : Components.of(raw).types) {
      deepest = Math.max(deepest, bound(child, visiting));
    }
    visiting.remove(raw);
    return plusOne(deepest);
  }

  private static int plusOne(int bound) {
    return bound == UNBOUNDED ? UNBOUNDED : bound + 1;
  }

  private static Type typeArgument(Type type, int index) {
    if (type instanceof ParameterizedType p && p.getActualTypeArguments().length > index) {
      return p.getActualTypeArguments()[index];
    }
    return Object.class;
  }
}
