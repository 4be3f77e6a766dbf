package dev.tether.codec.fury;

import dev.tether.codec.CodecLimits;
import java.util.Collection;
import java.util.Map;

/**
 * Bounds how deeply a message's map keys nest ({@link CodecLimits#maxKeyNesting()}), on both ends:
 * every map serializer of the codec checks the keys of a map it writes, and of a map it has read
 * before handing it on. Fory reads a map's keys with no call of ours in between, so the check looks
 * at each key once the map is read; the maps inside a key were checked when they were read, so a
 * key that nests too deep is refused before it is put into any map or set outside it, where
 * comparing it with another would cost 2 to the power of its nesting.
 *
 * <p>A key is walked through its maps (keys and values), collections, arrays, {@code Optional}s and
 * the components of records and beans; strings, numbers and other JDK values end the walk at once.
 *
 * <p>This class is thread safe; it keeps no state.
 */
final class KeyNesting {
  private KeyNesting() {}

  /** Classes whose values hold no map: JDK values and enums ({@link Components#isLeaf}). */
  private static final ClassValue<Boolean> LEAF =
      new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
          return Components.isLeaf(type);
        }
      };

  /**
   * Throws if a key among the first {@code count} of {@code keys}, keys of a map of kind {@code
   * what}, holds keys nested deeper than the limit allows.
   *
   * @throws FuryLimitException naming the limit
   */
  static void check(Object[] keys, int count, String what, CodecLimits limits) {
    for (int i = 0; i < count; i++) {
      checkKey(keys[i], what, limits);
    }
  }

  /** As {@link #check(Object[], int, String, CodecLimits)}, for the keys of {@code map}. */
  static void check(Map<?, ?> map, String what, CodecLimits limits) {
    for (Object key : map.keySet()) {
      checkKey(key, what, limits);
    }
  }

  /** Throws if {@code key}, a key of a map of kind {@code what}, nests keys too deep. */
  static void checkKey(Object key, String what, CodecLimits limits) {
    if (key == null || key instanceof String || LEAF.get(key.getClass())) {
      return; // the common case, decided without a walk
    }
    String refusal = limits.keyNestedTooDeep(1 + deepest(key), what);
    if (refusal != null) {
      throw new FuryLimitException(refusal);
    }
  }

  /** The most map keys that enclose one another inside {@code value}: 0 if it holds no map. */
  private static int deepest(Object value) {
    if (value == null || LEAF.get(value.getClass())) {
      return 0;
    }
    int deepest = 0;
    if (value instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        deepest =
            Math.max(deepest, Math.max(1 + deepest(entry.getKey()), deepest(entry.getValue())));
      }
    } else if (value instanceof Collection<?> collection) {
      for (Object element : collection) {
        deepest = Math.max(deepest, deepest(element));
      }
    } else if (value instanceof Object[] array) {
      for (Object element : array) {
        deepest = Math.max(deepest, deepest(element));
      }
    } else if (Components.isHolder(value.getClass())) {
      deepest = deepest(Components.held(value));
    } else {
      Components of = Components.of(value.getClass());
      for (int i = 0; i < of.accessors.length; i++) {
        deepest = Math.max(deepest, deepest(of.get(i, value)));
      }
    }
    return deepest;
  }
}
