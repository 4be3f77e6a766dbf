package dev.tether.codec.fury;

import dev.tether.codec.CodecLimits;
import dev.tether.codec.fury.FuryRegistrations.Registration;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.time.ZonedDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.Vector;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.apache.fory.BaseFory;
import org.apache.fory.collection.LazyMap;
import org.apache.fory.serializer.ArraySerializers.ObjectArraySerializer;
import org.apache.fory.serializer.ArraySerializers.StringArraySerializer;

/**
 * The codec's serializers for the JDK containers Fory registers itself, replacing Fory's in every
 * Fory instance. The same wire format, with {@link CodecLimits} applied on both ends:
 *
 * <table>
 *   <caption>Containers</caption>
 *   <tr><th>classes</th><th>serializer</th></tr>
 *   <tr><td>{@code ArrayList}, {@code LinkedList}, {@code ArrayDeque}, {@code List.of},
 *       {@code Arrays.asList}, {@code TreeSet}, {@code TreeMap}</td>
 *       <td>{@link CheckedCollectionSerializer}, {@link CheckedMapSerializer}: element limits
 *       and the decode budget; sorted ones with natural ordering only</td></tr>
 *   <tr><td>{@code HashSet}, {@code LinkedHashSet}, {@code Set.of}, {@code HashMap},
 *       {@code LinkedHashMap}, {@code Map.of}</td>
 *       <td>the same, and shared hash codes counted before anything is hashed</td></tr>
 *   <tr><td>{@code Object[]}, {@code String[]}, arrays of registered classes</td>
 *       <td>{@link CheckedArraySerializer}</td></tr>
 *   <tr><td>{@code Collections.emptyList/emptySet/emptyMap} and the sorted and navigable kinds</td>
 *       <td>as an empty collection or map (one byte), where Fory writes nothing</td></tr>
 *   <tr><td>{@code CopyOnWriteArrayList}, {@code CopyOnWriteArraySet} (quadratic to fill),
 *       {@code Vector}, {@code PriorityQueue}, {@code ConcurrentHashMap} and its key set, the
 *       concurrent skip lists, {@code LinkedBlockingQueue}, {@code ArrayBlockingQueue},
 *       {@code Collections.newSetFromMap}, Fory's {@code LazyMap}</td>
 *       <td>{@link RefusedSerializers}: not carried</td></tr>
 * </table>
 *
 * <p>{@code Collections.singletonMap} is read and written by {@link CheckedSingletonMapSerializer},
 * which checks its key's nesting. The unmodifiable and synchronized wrappers, the other singletons,
 * {@code EnumSet} and {@code EnumMap} keep Fory's serializers: a wrapper's contents are read by the
 * serializers above, and the others hold at most one element per enum constant, or one.
 */
final class ContainerSerializers {
  private ContainerSerializers() {}

  /** Registers the codec's container serializers with {@code fory}, before its first use. */
  static void register(BaseFory fory, List<Registration> registrations, CodecLimits limits) {
    collection(fory, ArrayList.class, ArrayList::new, c -> (ArrayList<Object>) c, false, limits);
    collection(fory, LinkedList.class, n -> new LinkedList<>(), c -> c, false, limits);
    collection(fory, ArrayDeque.class, ArrayDeque::new, c -> c, false, limits);
    collection(fory, TreeSet.class, n -> new TreeSet<>(), c -> c, false, limits);
    hashedSet(fory, HashSet.class, n -> new HashSet<>(capacity(n)), limits);
    hashedSet(fory, LinkedHashSet.class, n -> new LinkedHashSet<>(capacity(n)), limits);
    Function<Collection<Object>, Collection<?>> listOf =
        c -> c.contains(null) ? Collections.unmodifiableList((List<Object>) c) : List.copyOf(c);
    collection(fory, List.of(1).getClass(), ArrayList::new, listOf, false, limits);
    collection(fory, List.of(1, 2, 3).getClass(), ArrayList::new, listOf, false, limits);
    Function<Collection<Object>, Collection<?>> setOf = c -> Set.of(c.toArray());
    collection(fory, Set.of(1).getClass(), ArrayList::new, setOf, true, limits);
    collection(fory, Set.of(1, 2, 3).getClass(), ArrayList::new, setOf, true, limits);
    collection(
        fory,
        Arrays.asList(1, 2).getClass(),
        ArrayList::new,
        c -> Arrays.asList(c.toArray()),
        false,
        limits);

    map(fory, HashMap.class, n -> new HashMap<>(capacity(n)), m -> m, true, limits);
    map(fory, LinkedHashMap.class, n -> new LinkedHashMap<>(capacity(n)), m -> m, true, limits);
    map(fory, TreeMap.class, n -> new TreeMap<>(), m -> m, false, limits);
    map(fory, Map.of(1, 1).getClass(), n -> new HashMap<>(capacity(n)), Map::copyOf, true, limits);
    map(
        fory,
        Map.of(1, 1, 2, 2).getClass(),
        n -> new HashMap<>(capacity(n)),
        Map::copyOf,
        true,
        limits);

    CheckedSingletonMapSerializer.register(fory, limits);

    fory.registerSerializer(
        Object[].class,
        resolver ->
            new CheckedArraySerializer(
                resolver, new ObjectArraySerializer(resolver, Object[].class), limits));
    fory.registerSerializer(
        String[].class,
        resolver ->
            new CheckedArraySerializer(resolver, new StringArraySerializer(resolver), limits));
    for (Registration registration : registrations) {
      Class<?> type = registration.type();
      if (type.isArray() && !type.getComponentType().isPrimitive()) {
        fory.registerSerializer(
            type,
            resolver ->
                new CheckedArraySerializer(
                    resolver, new ObjectArraySerializer(resolver, type), limits));
      } else if (isApplicationContainer(type)) {
        applicationContainer(fory, type, limits);
      }
    }

    // Fory writes these as nothing at all, so that a payload could declare millions of them in a
    // few bytes; Fory allows 8,192 more elements than a payload has bytes and then refuses its own
    // output (a list of 20,000 Collections.emptyList() encodes to 15 bytes and fails to decode).
    // Written as an empty
    // collection instead, each is a byte (its size, 0), and the decode budget holds for every
    // element the codec writes.
    for (Collection<?> empty :
        List.of(Collections.emptyList(), Collections.emptySet(), Collections.emptyNavigableSet())) {
      collection(fory, empty.getClass(), ArrayList::new, onlyEmpty(empty), false, limits);
    }
    for (Map<?, ?> empty : List.of(Collections.emptyMap(), Collections.emptyNavigableMap())) {
      map(fory, empty.getClass(), HashMap::new, onlyEmpty(empty), false, limits);
    }

    // Not a container: Fory's own drops the offset, and so the hour, in a daylight-saving overlap.
    fory.registerSerializer(ZonedDateTime.class, ZonedDateTimeSerializer::new);
    StringValueSerializers.register(fory); // strings checked before the JDK keeps them
    fory.registerSerializer(Object.class, RefusedSerializers.RefusedObject::new);

    refuse(fory, CopyOnWriteArrayList.class, "ArrayList (filling one costs quadratic time)");
    refuse(fory, CopyOnWriteArraySet.class, "LinkedHashSet (filling one costs quadratic time)");
    refuse(fory, Vector.class, "ArrayList");
    refuse(fory, PriorityQueue.class, "a sorted List");
    refuse(fory, ConcurrentHashMap.class, "HashMap");
    refuse(fory, ConcurrentHashMap.newKeySet().getClass(), "HashSet");
    refuse(fory, ConcurrentSkipListMap.class, "TreeMap");
    refuse(fory, ConcurrentSkipListSet.class, "TreeSet");
    refuse(fory, LinkedBlockingQueue.class, "ArrayList");
    refuse(fory, ArrayBlockingQueue.class, "ArrayList");
    // Fory's own: it adds entries unhashed and hashes them all at the first lookup, in the
    // receiver's code, past every check (a key nesting, keys sharing a hash code).
    refuse(fory, LazyMap.class, "HashMap");
    refuse(fory, Collections.newSetFromMap(new HashMap<>()).getClass(), "HashSet");
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void collection(
      BaseFory fory,
      Class<?> type,
      IntFunction<? extends Collection<Object>> factory,
      Function<Collection<Object>, ?> finisher,
      boolean hashed,
      CodecLimits limits) {
    fory.registerSerializer(
        type,
        resolver ->
            new CheckedCollectionSerializer(
                resolver,
                (Class) type,
                (IntFunction) factory,
                (Function) finisher,
                hashed,
                limits));
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void map(
      BaseFory fory,
      Class<?> type,
      IntFunction<? extends Map<Object, Object>> factory,
      Function<Map<Object, Object>, ?> finisher,
      boolean hashed,
      CodecLimits limits) {
    fory.registerSerializer(
        type,
        resolver ->
            new CheckedMapSerializer(
                resolver,
                (Class) type,
                (IntFunction) factory,
                (Function) finisher,
                hashed,
                limits));
  }

  /** A concrete collection or map class of the application's, not of the JDK. */
  private static boolean isApplicationContainer(Class<?> type) {
    return (Collection.class.isAssignableFrom(type) || Map.class.isAssignableFrom(type))
        && !type.isInterface()
        && !Modifier.isAbstract(type.getModifiers())
        && !type.getName().startsWith("java.");
  }

  /**
   * Gives a collection or map class the application registered the checked serializers, created by
   * its no-arg constructor; Fory's own would apply no limit. Such a class may hold no fields of its
   * own ({@link ApplicationContainers}). A hashed one (a {@code Set} or {@code Map} that is not
   * sorted) is read as the JDK's are: up to {@code maxSameHashElements} straight into it, more into
   * a list or {@link StagingMap} first, counted, then copied in.
   *
   * @throws IllegalArgumentException if the class has fields of its own, or no no-arg constructor
   *     the codec can call
   */
  @SuppressWarnings("unchecked")
  private static void applicationContainer(BaseFory fory, Class<?> type, CodecLimits limits) {
    Constructor<?> constructor = ApplicationContainers.constructor(type);
    Supplier<Object> create =
        () -> {
          try {
            return constructor.newInstance();
          } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create a " + type.getName() + ": " + e, e);
          }
        };
    if (Map.class.isAssignableFrom(type)) {
      map(
          fory,
          type,
          n -> (Map<Object, Object>) create.get(),
          m -> m,
          !SortedMap.class.isAssignableFrom(type),
          limits);
      return;
    }
    if (Set.class.isAssignableFrom(type) && !SortedSet.class.isAssignableFrom(type)) {
      hashedSet(fory, type, n -> (Collection<Object>) create.get(), limits);
    } else {
      collection(fory, type, n -> (Collection<Object>) create.get(), c -> c, false, limits);
    }
  }

  /**
   * Registers a set class that hashes its elements: a set of no more elements than may share a hash
   * code is read straight into one {@code create} makes; a larger one into a list, counted ({@link
   * CheckedCollectionSerializer}), then copied into one.
   */
  private static void hashedSet(
      BaseFory fory, Class<?> type, IntFunction<Collection<Object>> create, CodecLimits limits) {
    int direct = limits.maxSameHashElements();
    collection(
        fory,
        type,
        n -> n <= direct ? create.apply(n) : new ArrayList<>(n),
        c -> {
          if (type.isInstance(c)) {
            return c;
          }
          Collection<Object> set = create.apply(c.size());
          set.addAll(c);
          return set;
        },
        true,
        limits);
  }

  /** Returns {@code empty} for an empty container read, and refuses any other. */
  private static <C> Function<C, Object> onlyEmpty(Object empty) {
    return read -> {
      int size = read instanceof Map<?, ?> m ? m.size() : ((Collection<?>) read).size();
      if (size != 0) {
        throw new FuryLimitException(
            "the payload holds " + size + " elements in an " + empty.getClass().getName());
      }
      return empty;
    };
  }

  private static void refuse(BaseFory fory, Class<?> type, String instead) {
    fory.registerSerializer(
        type,
        resolver ->
            Map.class.isAssignableFrom(type)
                ? new RefusedSerializers.RefusedMap(resolver, type, instead)
                : new RefusedSerializers.RefusedCollection(resolver, type, instead));
  }

  /** Capacity of a hash map that holds {@code size} entries without rehashing. */
  private static int capacity(int size) {
    return (int) Math.min(1 << 30, size / 0.75 + 1);
  }
}
