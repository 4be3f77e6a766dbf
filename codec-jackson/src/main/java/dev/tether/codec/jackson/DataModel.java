package dev.tether.codec.jackson;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.tether.codec.CodecLimits;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URL;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import tools.jackson.databind.JavaType;

/**
 * What the {@code json} and {@code cbor} data model carries exactly, as rules the encoder checks
 * before it writes a value. JSON has no type names, so a value comes back as the class its field or
 * element is declared as; where that class is not the value's own, the value would come back
 * different, or not at all. Each rule returns why a value is refused, or null.
 */
final class DataModel {
  /** The classes a field declared {@code Object} may hold: JSON's own, read back as themselves. */
  private static final Set<Class<?>> UNTYPED_VALUES =
      Set.of(String.class, Boolean.class, Integer.class, Double.class);

  /** The map key classes a reader turns back into the same value. */
  private static final Set<Class<?>> KEY_CLASSES =
      Set.of(
          String.class,
          Boolean.class,
          Character.class,
          Byte.class,
          Short.class,
          Integer.class,
          Long.class,
          Float.class,
          Double.class,
          BigInteger.class,
          BigDecimal.class,
          UUID.class);

  /**
   * Why {@code java.net.URL} is refused on both ends. {@code URL.equals} and {@code hashCode} look
   * the host up (JDK: "a blocking operation"), so a decoded set of URLs, or a record holding one in
   * a set, would make the receiver's event loop wait on DNS for hosts the peer chose, and tell the
   * peer's name server that it did. {@code kryo} and {@code fury} do not carry it either.
   */
  static final String URL_REFUSAL =
      "class java.net.URL is not carried: its equals and hashCode look its host up in DNS, a"
          + " blocking call for a host the peer chose, whenever one goes into a set or is compared;"
          + " use java.net.URI";

  /**
   * Why {@code java.lang.Class} is refused on both ends. Jackson reads one by loading, without
   * initialising, whatever class the text names, from the reading thread's class loader: a peer
   * would choose which classes the receiver loads, though only registered classes are ever decoded
   * (DESIGN.md). {@code kryo} does not carry one either; {@code fury} carries registered classes
   * only.
   */
  static final String CLASS_REFUSAL =
      "class java.lang.Class is not carried: reading one would load whatever class the peer names;"
          + " send its name as a String and look it up among the classes you allow";

  /** Returns why values of exactly {@code type} are refused on both ends, or null. */
  static String refusal(Class<?> type) {
    return type == URL.class ? URL_REFUSAL : type == Class.class ? CLASS_REFUSAL : null;
  }

  private final CodecLimits limits;

  DataModel(CodecLimits limits) {
    this.limits = limits;
  }

  /**
   * Returns whether a value declared as {@code type} can ever be refused by {@link
   * #refusal(JavaType, Object)}, so that only such fields and elements pay for the check.
   */
  static boolean needsCheck(JavaType type) {
    Class<?> raw = type.getRawClass();
    if (raw == Object.class || raw == Optional.class || isBareCollection(raw)) {
      return true;
    }
    if (raw.isPrimitive() || raw.isArray() || raw.isEnum() || isContainer(raw)) {
      return false;
    }
    if (raw.isInterface() || Modifier.isAbstract(raw.getModifiers())) {
      return !raw.isAnnotationPresent(JsonTypeInfo.class);
    }
    return !Modifier.isFinal(raw.getModifiers()) && !raw.getName().startsWith("java.");
  }

  /** Returns why {@code value}, declared as {@code type}, would not come back equal, or null. */
  String refusal(JavaType type, Object value) {
    Class<?> raw = type.getRawClass();
    if (value == null) {
      return raw == Optional.class
          ? "an Optional is null, which is written as null and read back as Optional.empty();"
              + " use Optional.empty()"
          : null;
    }
    if (raw == Object.class) {
      return untypedRefusal(value);
    }
    if (isBareCollection(raw)) {
      return value instanceof List<?>
          ? null
          : "a "
              + value.getClass().getName()
              + " declared as "
              + raw.getSimpleName()
              + " would be read back as a List; declare it as a Set or List";
    }
    if (raw == Optional.class || raw.isEnum() || isContainer(raw)) {
      return null;
    }
    if (raw.isInterface() || Modifier.isAbstract(raw.getModifiers())) {
      return raw.isAnnotationPresent(JsonTypeInfo.class)
          ? null
          : "a "
              + value.getClass().getName()
              + " is declared as "
              + raw.getName()
              + ", and nothing in the payload can say which class to build; declare the concrete"
              + " type, or annotate "
              + raw.getSimpleName()
              + " with @JsonTypeInfo and @JsonSubTypes";
    }
    if (value.getClass() != raw
        && !Modifier.isFinal(raw.getModifiers())
        && !raw.getName().startsWith("java.")) {
      return "a "
          + value.getClass().getName()
          + " is declared as "
          + raw.getName()
          + " and would be read back as one";
    }
    return null;
  }

  /**
   * Returns why {@code value} cannot be held by a field or element declared {@code Object}: only
   * what a reader builds for such a field comes back equal, that is a String, Boolean, Integer or
   * finite Double, or a List or String-keyed Map of those (read back as an ArrayList or
   * LinkedHashMap, which equal any List or Map of the same contents).
   */
  String untypedRefusal(Object value) {
    return untypedRefusal(value, 1);
  }

  private String untypedRefusal(Object value, int depth) {
    if (value == null || (UNTYPED_VALUES.contains(value.getClass()) && isFinite(value))) {
      return null;
    }
    if (depth > limits.maxDepth()) {
      return "the nesting depth of a value declared Object exceeds the limit of "
          + limits.maxDepth()
          + " (a cycle?)";
    }
    if (value instanceof List<?> list) {
      String why = limits.tooManyElements(list.size(), value.getClass().getName());
      for (int i = 0; why == null && i < list.size(); i++) {
        why = untypedRefusal(list.get(i), depth + 1);
      }
      return why;
    }
    if (value instanceof Map<?, ?> map) {
      String why = limits.tooManyElements(map.size(), value.getClass().getName());
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        if (why != null) {
          break;
        }
        why =
            entry.getKey() instanceof String
                ? untypedRefusal(entry.getValue(), depth + 1)
                : "a map declared Object has a key of class "
                    + (entry.getKey() == null ? "null" : entry.getKey().getClass().getName())
                    + ", which would be read back as a String";
      }
      return why;
    }
    return "a field or element declared Object holds a "
        + value.getClass().getName()
        + ", which would be read back as another type; declare its type, or hold only Strings,"
        + " Booleans, Integers, finite Doubles, and Lists and String-keyed Maps of them there";
  }

  /**
   * Returns why {@code key}, declared as {@code type}, cannot be a map key: a reader turns keys
   * back into values only for strings, numbers, booleans, characters, enums and UUIDs, and only
   * into the declared class.
   */
  static String keyRefusal(JavaType type, Object key) {
    if (key == null) {
      return null; // Jackson refuses null keys itself
    }
    Class<?> declared = type.getRawClass();
    Class<?> actual = key instanceof Enum<?> e ? e.getDeclaringClass() : key.getClass();
    boolean carried = KEY_CLASSES.contains(actual) || actual.isEnum();
    boolean sameClass = declared == Object.class ? actual == String.class : declared == actual;
    if (carried && sameClass) {
      return null;
    }
    return "a map key of class "
        + key.getClass().getName()
        + (declared == actual ? "" : " declared as " + declared.getName())
        + " would not be read back as the same value; keys must be strings, numbers, booleans,"
        + " characters, enums or UUIDs, declared as their own class";
  }

  /** Returns whether a map whose keys are declared {@code type} can be read at all. */
  static boolean isCarriedKeyType(JavaType type) {
    Class<?> raw = type.getRawClass();
    return raw == Object.class || KEY_CLASSES.contains(raw) || raw.isEnum() || raw.isPrimitive();
  }

  private static boolean isFinite(Object value) {
    return !(value instanceof Double d) || Double.isFinite(d);
  }

  private static boolean isContainer(Class<?> raw) {
    return Collection.class.isAssignableFrom(raw) || Map.class.isAssignableFrom(raw);
  }

  /** {@code Collection} or {@code Iterable} itself, which a reader fills as an ArrayList. */
  private static boolean isBareCollection(Class<?> raw) {
    return raw == Collection.class || raw == Iterable.class;
  }
}
