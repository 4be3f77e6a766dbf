package dev.tether.codec;

import java.util.Arrays;

/**
 * Bounds on the shape of one message, which a codec applies on both ends: its encoder refuses a
 * message past a limit with a {@link CodecException} on the sender's thread, and its decoder
 * refuses a payload past it, so that a message is never refused by the receiver after the sender
 * accepted it. Both peers must use the same limits, as they use the same {@code MessageTypes}.
 *
 * <p>These bound the work a small payload can cause. Without them, a few kilobytes can ask for
 * thousands of nested levels, millions of elements, or a {@code HashSet} whose elements all share
 * one {@code hashCode}, which {@link java.util.HashMap} can only insert in quadratic time when the
 * elements are not {@link Comparable} (50,000 such records took 40 seconds to decode).
 *
 * <p>Instances are immutable and thread safe.
 *
 * @param maxDepth how deeply values may nest: each record, collection, map, array or optional
 *     inside another is one level, and a chain of {@code maxDepth} records nested in one another is
 *     the deepest message every codec carries (codecs that count some containers as no level at all
 *     carry more)
 * @param maxElements the most elements one collection or object array may hold, or entries one map;
 *     strings, {@code byte[]} and other arrays of primitives are bounded by the frame size instead
 * @param maxSameHashElements the most elements of one hashed set, or keys of one hashed map, that
 *     may share a {@code hashCode}, unless they are of a JDK class that {@link java.util.HashMap}
 *     can order ({@code String}, boxed numbers, {@code UUID}, enums, ...). Legitimate data rarely
 *     has more than a few; each one more costs every insert of the group one more {@code equals}
 * @param maxKeyNesting how many map keys may enclose one another: the keys of a {@code Map<String,
 *     V>} are at level 1, the strings in the keys of a {@code Map<Map<String, V>, W>} at level 2,
 *     whatever lists, sets or records lie between. Comparing two such keys can cost twice as much
 *     at each level ({@code AbstractMap.equals} looks a key with a {@code null} value up twice), so
 *     without a bound a payload of 200 bytes holding two maps nested 40 keys deep costs its
 *     receiver hours when a hash set or map compares them. Codecs whose map keys are scalars
 *     ({@code json}, {@code cbor}) never reach it
 */
public record CodecLimits(
    int maxDepth, int maxElements, int maxSameHashElements, int maxKeyNesting) {
  /**
   * 200 levels: real messages are rarely deeper than 10, and decoding 200 levels fits in a thread
   * stack of 256 KiB in every codec (measured).
   */
  public static final int DEFAULT_MAX_DEPTH = 200;

  /**
   * 1,048,576 elements: more than cluster messages hold in one collection (a membership list, a
   * partition table, a batch of ids), and few enough that one collection of them stays a few tens
   * of MiB of heap even when each element is its own object.
   */
  public static final int DEFAULT_MAX_ELEMENTS = 1 << 20;

  /**
   * 64 elements: even dense keys with poor hashes, such as every record {@code (x, y)} with both
   * below 1,000 (whose hash {@code 31 x + y} repeats 33 times at most), stay under it; a decode can
   * then cost at most 64 {@code equals} per element, a few milliseconds for 64 KiB of payload.
   */
  public static final int DEFAULT_MAX_SAME_HASH_ELEMENTS = 64;

  /**
   * 4 levels: a map keyed by maps of labels (as metrics are) needs 2; at 4, comparing two keys
   * costs at most 16 times walking them.
   */
  public static final int DEFAULT_MAX_KEY_NESTING = 4;

  private static final CodecLimits DEFAULTS =
      new CodecLimits(
          DEFAULT_MAX_DEPTH,
          DEFAULT_MAX_ELEMENTS,
          DEFAULT_MAX_SAME_HASH_ELEMENTS,
          DEFAULT_MAX_KEY_NESTING);

  /**
   * Checks the limits.
   *
   * @throws IllegalArgumentException if {@code maxDepth} is below 2 or another limit below 1
   */
  public CodecLimits {
    if (maxDepth < 2) {
      throw new IllegalArgumentException("maxDepth must be at least 2, not " + maxDepth);
    }
    if (maxElements < 1) {
      throw new IllegalArgumentException("maxElements must be at least 1, not " + maxElements);
    }
    if (maxSameHashElements < 1) {
      throw new IllegalArgumentException(
          "maxSameHashElements must be at least 1, not " + maxSameHashElements);
    }
    if (maxKeyNesting < 1) {
      throw new IllegalArgumentException("maxKeyNesting must be at least 1, not " + maxKeyNesting);
    }
  }

  /**
   * Limits with {@code maxKeyNesting} at its default, {@value #DEFAULT_MAX_KEY_NESTING}.
   *
   * @throws IllegalArgumentException if {@code maxDepth} is below 2 or another limit below 1
   */
  public CodecLimits(int maxDepth, int maxElements, int maxSameHashElements) {
    this(maxDepth, maxElements, maxSameHashElements, DEFAULT_MAX_KEY_NESTING);
  }

  /** Returns the default limits, which every codec uses unless configured otherwise. */
  public static CodecLimits defaults() {
    return DEFAULTS;
  }

  /** Returns these limits with {@code maxDepth} changed. */
  public CodecLimits withMaxDepth(int maxDepth) {
    return new CodecLimits(maxDepth, maxElements, maxSameHashElements, maxKeyNesting);
  }

  /** Returns these limits with {@code maxElements} changed. */
  public CodecLimits withMaxElements(int maxElements) {
    return new CodecLimits(maxDepth, maxElements, maxSameHashElements, maxKeyNesting);
  }

  /** Returns these limits with {@code maxSameHashElements} changed. */
  public CodecLimits withMaxSameHashElements(int maxSameHashElements) {
    return new CodecLimits(maxDepth, maxElements, maxSameHashElements, maxKeyNesting);
  }

  /** Returns these limits with {@code maxKeyNesting} changed. */
  public CodecLimits withMaxKeyNesting(int maxKeyNesting) {
    return new CodecLimits(maxDepth, maxElements, maxSameHashElements, maxKeyNesting);
  }

  /**
   * Returns why map keys nested {@code level} deep are too deep, or null if they are not.
   *
   * @param what the kind of map where the codec found them, such as {@code "java.util.HashMap"},
   *     for the message
   */
  public String keyNestedTooDeep(int level, String what) {
    if (level <= maxKeyNesting) {
      return null;
    }
    return "map keys nest "
        + level
        + " deep (maps inside the keys of maps) in "
        + what
        + ", more than the limit of "
        + maxKeyNesting
        + " (CodecLimits.maxKeyNesting): comparing keys nested that deep costs time that doubles"
        + " with each level";
  }

  /**
   * Returns why {@code count} elements, or keys, are too many for one collection or map, or null if
   * they are not.
   *
   * @param what the kind of collection, such as {@code "java.util.ArrayList"}, for the message
   */
  public String tooManyElements(long count, String what) {
    if (count <= maxElements) {
      return null;
    }
    return what
        + " holds "
        + count
        + " elements, more than the limit of "
        + maxElements
        + " (CodecLimits.maxElements)";
  }

  /**
   * Returns why the first {@code count} of {@code elements} cannot go into one hashed set or be the
   * keys of one hashed map, or null if they can: more than {@link #maxSameHashElements} of them
   * share a {@code hashCode}. Elements of a JDK class that implements {@code Comparable} of itself
   * (which {@code HashMap} orders in a tree when their hashes collide) and enum constants are not
   * counted, nor are nulls. Costs one {@code hashCode} call per counted element and a sort of their
   * hashes, and nothing when {@code count} is at most {@link #maxSameHashElements}.
   *
   * @param what the kind of collection, such as {@code "java.util.HashSet"}, for the message
   */
  public String sameHashViolation(Object[] elements, int count, String what) {
    if (count <= maxSameHashElements) {
      return null;
    }
    int[] hashes = null;
    int counted = 0;
    for (int i = 0; i < count; i++) {
      Object element = elements[i];
      if (element == null || HashSafety.isOrderedOnCollision(element.getClass())) {
        continue;
      }
      if (hashes == null) {
        hashes = new int[count - i];
      }
      hashes[counted++] = element.hashCode();
    }
    if (counted <= maxSameHashElements) {
      return null;
    }
    // Arrays.sort(int[]) is O(n log n) on any input, so the check cannot be driven quadratic.
    Arrays.sort(hashes, 0, counted);
    int longest = 1;
    int longestHash = hashes[0];
    int run = 1;
    for (int i = 1; i < counted; i++) {
      run = hashes[i] == hashes[i - 1] ? run + 1 : 1;
      if (run > longest) {
        longest = run;
        longestHash = hashes[i];
      }
    }
    if (longest <= maxSameHashElements) {
      return null;
    }
    return what
        + " of "
        + count
        + " elements holds "
        + longest
        + " that share the hashCode "
        + longestHash
        + ", more than the limit of "
        + maxSameHashElements
        + " (CodecLimits.maxSameHashElements): a hash table inserts such elements in quadratic"
        + " time";
  }

  /**
   * Returns whether instances of {@code type} cost a hash table little even when their hashes
   * collide: enum constants (one hash per constant), and JDK classes that implement {@code
   * Comparable} of themselves, which {@link java.util.HashMap} keeps in a tree. {@link
   * #sameHashViolation} does not count such elements.
   */
  public static boolean isOrderedOnCollision(Class<?> type) {
    return HashSafety.isOrderedOnCollision(type);
  }

  /** Which classes {@link java.util.HashMap} keeps in order when their hashes collide. */
  private static final class HashSafety {
    private static final ClassValue<Boolean> ORDERED =
        new ClassValue<>() {
          @Override
          protected Boolean computeValue(Class<?> type) {
            return type.isEnum()
                || (type.getSuperclass() != null && type.getSuperclass().isEnum())
                || (type.getClassLoader() == null && comparesToItself(type));
          }
        };

    static boolean isOrderedOnCollision(Class<?> type) {
      return ORDERED.get(type);
    }

    /** The rule of {@code HashMap.comparableClassFor}: implements {@code Comparable<type>}. */
    private static boolean comparesToItself(Class<?> type) {
      for (java.lang.reflect.Type implemented : type.getGenericInterfaces()) {
        if (implemented instanceof java.lang.reflect.ParameterizedType p
            && p.getRawType() == Comparable.class
            && p.getActualTypeArguments().length == 1
            && p.getActualTypeArguments()[0] == type) {
          return true;
        }
      }
      return false;
    }
  }
}
