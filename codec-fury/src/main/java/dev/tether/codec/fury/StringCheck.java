package dev.tether.codec.fury;

import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;
import java.util.Set;
import org.apache.fory.serializer.StringSerializer;

/**
 * Refuses a decoded message holding a {@code String} that Fory built in a form this JVM never
 * makes. Fory 1.6 builds each string it reads around the payload's bytes, with the coder the
 * payload names, and checks neither against the JVM's rules:
 *
 * <ul>
 *   <li>With compact strings (the JVM's default), a string whose characters are all Latin-1 is
 *       always Latin-1 inside. Fory builds one from a UTF-16 or UTF-8 payload as UTF-16: it prints
 *       as its text, yet {@code equals} is false against that same text, as a literal, a map key or
 *       a {@code switch} case. A peer running with {@code -XX:-CompactStrings} writes every string
 *       so.
 *   <li>Without compact strings ({@code -XX:-CompactStrings}), every string is UTF-16 inside, and
 *       Fory's Latin-1 string is read as UTF-16: half as long, other characters.
 * </ul>
 *
 * <p>So peers of the same setting read each other's strings, and a string of the other setting's,
 * or a hostile payload's, fails to decode, naming the cause. Strings are found where a message can
 * hold them: record components and bean fields, collections, maps, object arrays, {@code
 * Optional}s, {@code AtomicReference}s and throwables (message, stack trace, cause, suppressed), at
 * any depth. A message whose classes cannot hold a string costs a lookup: which classes can is
 * worked out once per class. The JDK values Fory builds from a string ({@code Locale}, {@code URI},
 * ...) are checked as they are read, before the JDK keeps the string ({@link
 * StringValueSerializers}).
 *
 * <p>This class is thread safe.
 */
final class StringCheck {
  private static final byte LATIN1 = 0;
  private static final byte UTF16 = 1;

  /**
   * Whether this JVM keeps Latin-1 strings as one byte a character ({@code -XX:+CompactStrings}).
   */
  static final boolean COMPACT_STRINGS = StringSerializer.getStringCoder("a") == LATIN1;

  /** What to look into in a value of each class. */
  private final ClassValue<Shape> shapes =
      new ClassValue<>() {
        @Override
        protected Shape computeValue(Class<?> type) {
          return Shape.of(type);
        }
      };

  /** Returns why {@code message} cannot be delivered, or null if every string in it is sound. */
  String check(Object message) {
    return walk(message);
  }

  private String walk(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof String string) {
      return isSound(string) ? null : reason();
    }
    Shape shape = shapes.get(value.getClass());
    return shape == Shape.NONE ? null : walkInside(value, shape);
  }

  private String walkInside(Object value, Shape shape) {
    if (shape.components != null) {
      for (int index : shape.followed) {
        String reason = walk(shape.components.get(index, value));
        if (reason != null) {
          return reason;
        }
      }
      return value instanceof Throwable throwable ? walkThrowable(throwable) : null;
    }
    if (value instanceof Collection<?> collection) {
      return walkElements(collection);
    }
    if (value instanceof Map<?, ?> map) {
      String reason = walkElements(map.keySet());
      return reason != null ? reason : walkElements(map.values());
    }
    if (Components.isHolder(value.getClass())) {
      return walk(Components.held(value));
    }
    return value instanceof Object[] array ? walkElements(Arrays.asList(array)) : null;
  }

  /**
   * Walks values that mostly share a class, looking each class up once per run of it: the lookup
   * was a third of the check's time for a list of records. A list with random access is walked by
   * index: an iterator for each list doubled what a list of 262,144 empty lists allocated.
   */
  private String walkElements(Collection<?> values) {
    if (values.isEmpty()) {
      return null;
    }
    List<?> list = values instanceof List<?> l && values instanceof RandomAccess ? l : null;
    Iterator<?> iterator = list == null ? values.iterator() : null;
    int size = list == null ? 0 : list.size(); // only the index walk needs it
    Class<?> last = null;
    Shape shape = Shape.NONE;
    for (int i = 0; iterator == null ? i < size : iterator.hasNext(); i++) {
      Object value = iterator == null ? list.get(i) : iterator.next();
      if (value == null) {
        continue;
      }
      if (value instanceof String string) {
        if (!isSound(string)) {
          return reason();
        }
        continue;
      }
      if (value.getClass() != last) {
        last = value.getClass();
        shape = shapes.get(last);
      }
      if (shape != Shape.NONE) {
        String reason = walkInside(value, shape);
        if (reason != null) {
          return reason;
        }
      }
    }
    return null;
  }

  /**
   * Walks what Fory reads of a throwable beyond its class's own fields: its message, stack trace,
   * cause and suppressed throwables. Fory tracks no references here, so a chain of causes is a
   * tree, as deep as its reader allowed.
   */
  private String walkThrowable(Throwable throwable) {
    String reason = walk(throwable.getMessage());
    StackTraceElement[] frames = throwable.getStackTrace();
    for (int i = 0; reason == null && i < frames.length; i++) {
      reason = isSound(frames[i]) ? null : reason();
    }
    if (reason == null) {
      reason = walk(throwable.getCause());
    }
    return reason != null ? reason : walkElements(Arrays.asList(throwable.getSuppressed()));
  }

  private static boolean isSound(StackTraceElement frame) {
    return isAbsentOrSound(frame.getClassLoaderName())
        && isAbsentOrSound(frame.getModuleName())
        && isAbsentOrSound(frame.getModuleVersion())
        && isAbsentOrSound(frame.getClassName())
        && isAbsentOrSound(frame.getMethodName())
        && isAbsentOrSound(frame.getFileName());
  }

  private static boolean isAbsentOrSound(String string) {
    return string == null || isSound(string);
  }

  /** Whether {@code string} is in the form this JVM makes of its characters. */
  static boolean isSound(String string) {
    byte coder = StringSerializer.getStringCoder(string);
    if (!COMPACT_STRINGS) {
      return coder == UTF16 || string.isEmpty(); // an empty string reads the same either way
    }
    if (coder == LATIN1) {
      return true;
    }
    if (coder != UTF16) {
      return false;
    }
    for (int i = 0, n = string.length(); i < n; i++) {
      if (string.charAt(i) > 0xFF) {
        return true; // UTF-16 because it must be
      }
    }
    return false;
  }

  static String reason() {
    return COMPACT_STRINGS
        ? "the payload holds a string of Latin-1 characters written as UTF-16 or UTF-8, which a"
            + " JVM with compact strings (the default) never makes: its String would not equal the"
            + " same text. A peer running with -XX:-CompactStrings writes strings so; run both"
            + " peers with the same setting"
        : "the payload holds a Latin-1 string, which Fory reads wrongly on this JVM: it runs with"
            + " -XX:-CompactStrings; run both peers with the same setting";
  }

  /**
   * Whether a value of {@code type} can hold a string: exactly, for a final class or record, and
   * for any subclass otherwise. Collections, maps, {@code Optional}s, interfaces and {@code Object}
   * can hold anything; enums, primitives and JDK value classes hold none we look into.
   */
  private static boolean holdsStrings(Class<?> type, Set<Class<?>> visiting) {
    if (type == String.class) {
      return true;
    }
    if (type.isPrimitive() || Enum.class.isAssignableFrom(type)) {
      return false;
    }
    if (type.isArray()) {
      return holdsStrings(type.getComponentType(), visiting);
    }
    if (Collection.class.isAssignableFrom(type)
        || Map.class.isAssignableFrom(type)
        || Components.isHolder(type)
        || type == Object.class
        || Throwable.class.isAssignableFrom(type)) { // a throwable: its message and stack trace
      return true;
    }
    if (type.isSealed()) {
      for (Class<?> permitted : type.getPermittedSubclasses()) {
        if (holdsStrings(permitted, visiting)) {
          return true;
        }
      }
      return false;
    }
    if (type.isInterface() || Modifier.isAbstract(type.getModifiers())) {
      return true;
    }
    if (type.getName().startsWith("java.")) {
      return false;
    }
    if (!type.isRecord() && !Modifier.isFinal(type.getModifiers())) {
      return true; // a subclass may add a string
    }
    if (!visiting.add(type)) {
      return false; // a type holding itself: its other components decide
    }
    for (Type component : Components.of(type).types) {
      Class<?> raw = Components.rawClass(component);
      if (raw == null || holdsStrings(raw, visiting)) {
        return true;
      }
    }
    return false;
  }

  /**
   * What a value of one class can hold strings in: nothing ({@link #NONE}), its elements (a
   * collection, map, {@code Optional} or object array), or some of its {@link Components}.
   */
  private static final class Shape {
    static final Shape NONE = new Shape(null, null);
    static final Shape ELEMENTS = new Shape(null, null);

    final Components components;
    final int[] followed;

    private Shape(Components components, int[] followed) {
      this.components = components;
      this.followed = followed;
    }

    static Shape of(Class<?> type) {
      if (!holdsStrings(type, new HashSet<>())) {
        return NONE;
      }
      if (type.isArray()
          || Collection.class.isAssignableFrom(type)
          || Map.class.isAssignableFrom(type)
          || Components.isHolder(type)) {
        return ELEMENTS;
      }
      Components components = Components.of(type);
      int[] followed = new int[components.types.length];
      int n = 0;
      for (int i = 0; i < followed.length; i++) {
        Class<?> raw = Components.rawClass(components.types[i]);
        if (raw == null || holdsStrings(raw, new HashSet<>())) {
          followed[n++] = i;
        }
      }
      return new Shape(components, Arrays.copyOf(followed, n));
    }
  }
}
