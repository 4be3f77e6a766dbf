package dev.tether.codec.kryo;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.serializers.DefaultArraySerializers.BooleanArraySerializer;
import com.esotericsoftware.kryo.serializers.DefaultArraySerializers.ByteArraySerializer;
import com.esotericsoftware.kryo.serializers.DefaultArraySerializers.CharArraySerializer;
import com.esotericsoftware.kryo.serializers.DefaultArraySerializers.DoubleArraySerializer;
import com.esotericsoftware.kryo.serializers.DefaultArraySerializers.FloatArraySerializer;
import com.esotericsoftware.kryo.serializers.DefaultArraySerializers.IntArraySerializer;
import com.esotericsoftware.kryo.serializers.DefaultArraySerializers.LongArraySerializer;
import com.esotericsoftware.kryo.serializers.DefaultArraySerializers.ObjectArraySerializer;
import com.esotericsoftware.kryo.serializers.DefaultArraySerializers.ShortArraySerializer;
import com.esotericsoftware.kryo.serializers.DefaultArraySerializers.StringArraySerializer;
import com.esotericsoftware.kryo.serializers.DefaultSerializers.BigDecimalSerializer;
import com.esotericsoftware.kryo.serializers.DefaultSerializers.BigIntegerSerializer;
import com.esotericsoftware.kryo.serializers.DefaultSerializers.CollectionsEmptyListSerializer;
import com.esotericsoftware.kryo.serializers.DefaultSerializers.CollectionsEmptyMapSerializer;
import com.esotericsoftware.kryo.serializers.DefaultSerializers.CollectionsEmptySetSerializer;
import com.esotericsoftware.kryo.serializers.DefaultSerializers.CollectionsSingletonListSerializer;
import com.esotericsoftware.kryo.serializers.DefaultSerializers.CollectionsSingletonSetSerializer;
import com.esotericsoftware.kryo.serializers.DefaultSerializers.UUIDSerializer;
import com.esotericsoftware.kryo.serializers.FieldSerializer;
import com.esotericsoftware.kryo.serializers.OptionalSerializers.OptionalSerializer;
import com.esotericsoftware.kryo.serializers.TimeSerializers.DurationSerializer;
import com.esotericsoftware.kryo.serializers.TimeSerializers.InstantSerializer;
import com.esotericsoftware.kryo.serializers.TimeSerializers.LocalDateSerializer;
import com.esotericsoftware.kryo.serializers.TimeSerializers.LocalDateTimeSerializer;
import com.esotericsoftware.kryo.serializers.TimeSerializers.LocalTimeSerializer;
import com.esotericsoftware.kryo.serializers.TimeSerializers.OffsetDateTimeSerializer;
import com.esotericsoftware.kryo.util.DefaultInstantiatorStrategy;
import dev.tether.MessageTypes;
import dev.tether.codec.CodecLimits;
import dev.tether.codec.TypeDiscovery;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * The class registrations of one {@code kryo} codec, derived from {@link MessageTypes} alone so
 * that two peers with the same registry (and the same class definitions) agree on every id by
 * construction. Every id is explicit; none depends on the order of {@code register} calls.
 *
 * <table>
 *   <caption>Kryo registration ids</caption>
 *   <tr><th>ids</th><th>classes</th></tr>
 *   <tr><td>0–8</td><td>Kryo's own: {@code int, String, float, boolean, byte, char, short, long,
 *       double} (each boxed type shares its primitive's id)</td></tr>
 *   <tr><td>10–55</td><td>Tether's fixed JDK classes, {@link #JDK_TYPES}: arrays, collections,
 *       {@code java.time}, {@code UUID}, {@code BigInteger}, {@code BigDecimal}</td></tr>
 *   <tr><td>56–63</td><td>reserved for later JDK classes</td></tr>
 *   <tr><td>64…</td><td>the message types in ascending type id, then {@link
 *       MessageTypes#nestedClasses()} in their order, then the classes discovered from those (see
 *       below), each once</td></tr>
 * </table>
 *
 * <p>Discovery: starting from every message type and nested class in that order, the record
 * components (in declaration order), their type arguments ({@code List<Point>}), array element
 * types and the permitted subclasses of sealed types (sorted by name) are walked depth first; each
 * enum, record, and array of a registered class met on the way that is not yet registered gets the
 * next id. Fields of non-record classes are not walked: list the classes a bean holds in {@code
 * nested(...)}.
 *
 * <p>Instances are immutable and thread safe; {@link #newKryo()} makes a configured Kryo, which is
 * not.
 */
final class KryoRegistrations {
  /** The id of the first class that comes from {@link MessageTypes}. */
  static final int FIRST_APPLICATION_ID = 64;

  /**
   * Levels Kryo counts beyond a message's own nesting: it counts the top-level record, and on write
   * the null that ends a chain, as levels of their own. Each level of a record inside a record
   * costs about 0.5 KiB of stack on read, so the default 200 levels stay within a thread stack of
   * 256 KiB; real messages are rarely deeper than 10. A cyclic object graph fails on encode at the
   * limit, too (references are off).
   */
  static final int KRYO_EXTRA_LEVELS = 1;

  /** Where a registration comes from. */
  enum Source {
    /** Registered by Kryo's constructor. */
    KRYO,
    /** One of Tether's fixed JDK classes. */
    JDK,
    /** A message type of the registry. */
    MESSAGE,
    /** A class from {@link MessageTypes#nestedClasses()}. */
    NESTED,
    /** Found by walking the record components of the classes above. */
    DISCOVERED
  }

  /** One registration: a Kryo class id, the class and where it came from. */
  record Entry(int id, Class<?> type, Source source) {}

  /** One of the fixed JDK classes, with the serializer it gets in each Kryo. */
  private record JdkType(
      int id, Class<?> type, BiFunction<Kryo, CodecLimits, Serializer<?>> serializer) {
    /** A JDK class whose serializer needs neither the Kryo nor the limits. */
    static JdkType of(int id, Class<?> type, Supplier<Serializer<?>> serializer) {
      return new JdkType(id, type, (kryo, limits) -> serializer.get());
    }
  }

  /** Kryo's constructor registers these with ids 0 to 8, in this order. */
  private static final List<Class<?>> KRYO_TYPES =
      List.of(
          int.class,
          String.class,
          float.class,
          boolean.class,
          byte.class,
          char.class,
          short.class,
          long.class,
          double.class);

  /**
   * The JDK classes every {@code kryo} codec registers, with fixed ids. Arrays are wrapped so their
   * length is checked before allocation; collections and maps use Tether's counted serializers;
   * immutable collections ({@code List.of}, {@code Set.of}, {@code Map.of}, {@code Collections
   * .unmodifiable…}) decode as the same kind of immutable collection. Where two ids name the same
   * class on some JDK (an implementation detail of {@code java.util.ImmutableCollections}), the
   * first id wins and the second stays unused.
   */
  private static final List<JdkType> JDK_TYPES =
      List.of(
          array(10, byte[].class, ByteArraySerializer::new, 1),
          array(11, boolean[].class, BooleanArraySerializer::new, 1),
          array(12, char[].class, CharArraySerializer::new, Character.BYTES),
          array(13, short[].class, ShortArraySerializer::new, Short.BYTES),
          array(14, int[].class, IntArraySerializer::new, 1), // varints
          array(15, long[].class, LongArraySerializer::new, 1), // varints
          array(16, float[].class, FloatArraySerializer::new, Float.BYTES),
          array(17, double[].class, DoubleArraySerializer::new, Double.BYTES),
          new JdkType(
              18,
              String[].class,
              (kryo, limits) -> checked(new StringArraySerializer(), 1, limits)),
          new JdkType(
              19,
              Object[].class,
              (kryo, limits) ->
                  checked(new ObjectArraySerializer(kryo, Object[].class), 1, limits)),
          collection(20, ArrayList.class, ArrayList::new, false),
          collection(21, LinkedList.class, size -> new LinkedList<>(), false),
          collection(22, ArrayDeque.class, ArrayDeque::new, false),
          collection(23, HashSet.class, size -> new HashSet<>(hashCapacity(size)), true),
          collection(
              24, LinkedHashSet.class, size -> new LinkedHashSet<>(hashCapacity(size)), true),
          collection(25, TreeSet.class, size -> new TreeSet<>(), false),
          map(26, HashMap.class, size -> new HashMap<>(hashCapacity(size)), true),
          map(27, LinkedHashMap.class, size -> new LinkedHashMap<>(hashCapacity(size)), true),
          map(28, TreeMap.class, size -> new TreeMap<>(), false),
          immutableList(29, List.of(1).getClass()),
          immutableList(30, List.of(1, 2, 3).getClass()),
          immutableList(31, List.of(1, 2, 3).subList(0, 2).getClass()),
          immutableSet(32, Set.of(1).getClass()),
          immutableSet(33, Set.of(1, 2, 3).getClass()),
          immutableMap(34, Map.of(1, 1).getClass()),
          immutableMap(35, Map.of(1, 1, 2, 2).getClass()),
          JdkType.of(36, Collections.emptyList().getClass(), CollectionsEmptyListSerializer::new),
          JdkType.of(37, Collections.emptySet().getClass(), CollectionsEmptySetSerializer::new),
          JdkType.of(38, Collections.emptyMap().getClass(), CollectionsEmptyMapSerializer::new),
          JdkType.of(
              39, Collections.singletonList(1).getClass(), CollectionsSingletonListSerializer::new),
          JdkType.of(
              40, Collections.singleton(1).getClass(), CollectionsSingletonSetSerializer::new),
          JdkType.of(41, Collections.singletonMap(1, 1).getClass(), SingletonMapSerializer::new),
          new JdkType(
              42,
              Arrays.asList(1, 2).getClass(),
              (kryo, limits) ->
                  new CountedCollectionSerializer(
                      ArrayList::new, c -> Arrays.asList(c.toArray()), limits, false)),
          new JdkType(
              43,
              Collections.unmodifiableList(new ArrayList<>()).getClass(),
              (kryo, limits) ->
                  new CountedCollectionSerializer(
                      ArrayList::new,
                      c -> Collections.unmodifiableList((List<Object>) c),
                      limits,
                      false)),
          new JdkType(
              44,
              Collections.unmodifiableSet(new HashSet<>()).getClass(),
              (kryo, limits) ->
                  new CountedCollectionSerializer(
                      size -> new LinkedHashSet<>(hashCapacity(size)),
                      c -> Collections.unmodifiableSet((Set<Object>) c),
                      limits,
                      true)),
          new JdkType(
              45,
              Collections.unmodifiableMap(new HashMap<>()).getClass(),
              (kryo, limits) ->
                  new CountedMapSerializer(
                      size -> new LinkedHashMap<>(hashCapacity(size)),
                      Collections::unmodifiableMap,
                      limits,
                      true)),
          JdkType.of(46, Instant.class, InstantSerializer::new),
          JdkType.of(47, Duration.class, DurationSerializer::new),
          JdkType.of(48, LocalDate.class, LocalDateSerializer::new),
          JdkType.of(49, LocalTime.class, LocalTimeSerializer::new),
          JdkType.of(50, LocalDateTime.class, LocalDateTimeSerializer::new),
          JdkType.of(51, OffsetDateTime.class, OffsetDateTimeSerializer::new),
          // Tether's own: Kryo's loses the offset in a daylight-saving overlap.
          JdkType.of(52, ZonedDateTime.class, ZonedDateTimeSerializer::new),
          JdkType.of(53, UUID.class, UUIDSerializer::new),
          JdkType.of(54, BigInteger.class, BigIntegerSerializer::new),
          JdkType.of(55, BigDecimal.class, BigDecimalSerializer::new),
          JdkType.of(56, EnumSet.noneOf(Thread.State.class).getClass(), EnumSetSerializer::new),
          JdkType.of(57, jumboEnumSetClass(), EnumSetSerializer::new),
          new JdkType(58, Optional.class, (kryo, limits) -> new OptionalSerializer()));

  private static final Map<Integer, BiFunction<Kryo, CodecLimits, Serializer<?>>> JDK_BY_ID =
      new HashMap<>();

  static {
    for (JdkType jdk : JDK_TYPES) {
      JDK_BY_ID.put(jdk.id(), jdk.serializer());
    }
  }

  private final List<Entry> entries;
  private final CodecLimits limits;

  private KryoRegistrations(List<Entry> entries, CodecLimits limits) {
    this.entries = List.copyOf(entries);
    this.limits = limits;
  }

  /** Derives the registrations for {@code types}, with {@link CodecLimits#defaults()}. */
  static KryoRegistrations of(MessageTypes types) {
    return of(types, CodecLimits.defaults());
  }

  /**
   * Derives the registrations for {@code types}; their serializers apply {@code limits}.
   *
   * @throws IllegalArgumentException if a nested class cannot be carried (a collection or bean
   *     without a no-arg constructor)
   */
  static KryoRegistrations of(MessageTypes types, CodecLimits limits) {
    List<Entry> entries = new ArrayList<>();
    Set<Class<?>> registered = new HashSet<>();
    for (int id = 0; id < KRYO_TYPES.size(); id++) {
      entries.add(new Entry(id, KRYO_TYPES.get(id), Source.KRYO));
      registered.add(KRYO_TYPES.get(id));
    }
    for (JdkType jdk : JDK_TYPES) {
      if (registered.add(jdk.type())) {
        entries.add(new Entry(jdk.id(), jdk.type(), Source.JDK));
      }
    }
    int next = FIRST_APPLICATION_ID;
    List<Class<?>> roots = new ArrayList<>();
    for (MessageTypes.Entry message : types.entries()) {
      if (registered.add(message.type())) {
        entries.add(new Entry(next++, message.type(), Source.MESSAGE));
        roots.add(message.type());
      }
    }
    for (Class<?> nested : types.nestedClasses()) {
      if (registered.add(nested)) {
        entries.add(new Entry(next++, nested, Source.NESTED));
        roots.add(nested);
      }
    }
    for (Class<?> found : TypeDiscovery.discover(roots, registered, true)) {
      entries.add(new Entry(next++, found, Source.DISCOVERED));
    }
    KryoRegistrations registrations = new KryoRegistrations(entries, limits);
    registrations.newKryo(); // fails now, not on a message, for a class Kryo cannot carry
    return registrations;
  }

  /** Returns every registration, Kryo's own included, in ascending id. */
  List<Entry> entries() {
    return entries;
  }

  /** Returns the limits the serializers apply. */
  CodecLimits limits() {
    return limits;
  }

  /**
   * Creates a Kryo instance with every registration and Tether's settings:
   *
   * <ul>
   *   <li>{@code registrationRequired = true}: a class id that is not registered fails, and no
   *       class is ever named in the payload ({@link StrictClassResolver} refuses names outright).
   *   <li>{@code references = false}: messages are trees of values, as in the JSON codec. A shared
   *       object is written once per use, and a cycle fails at the depth limit. Reference tracking
   *       would cost an identity-map lookup per object on write and would let a payload point back
   *       at objects still being built.
   *   <li>{@code maxDepth} = {@link CodecLimits#maxDepth()} + {@value #KRYO_EXTRA_LEVELS}, so that
   *       a chain of {@code maxDepth} records is the deepest message, as in every codec.
   *   <li>{@code optimizedGenerics = false}: collections carry each element's class, so the bytes
   *       do not depend on declared type arguments, and no generic-type stack can be left behind by
   *       a failed decode.
   *   <li>{@code DefaultInstantiatorStrategy} without an Objenesis fallback: a bean needs a no-arg
   *       constructor; nothing is instantiated behind its constructors' backs.
   * </ul>
   */
  Kryo newKryo() {
    Kryo kryo = new Kryo(new StrictClassResolver(), null);
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    kryo.setMaxDepth(limits.maxDepth() + KRYO_EXTRA_LEVELS);
    kryo.setOptimizedGenerics(false);
    kryo.setInstantiatorStrategy(new DefaultInstantiatorStrategy());
    kryo.setAutoReset(true);
    for (Entry entry : entries) {
      switch (entry.source()) {
        case KRYO -> {} // registered by Kryo's constructor
        case JDK ->
            kryo.register(entry.type(), JDK_BY_ID.get(entry.id()).apply(kryo, limits), entry.id());
        default ->
            kryo.register(entry.type(), serializerFor(kryo, entry.type(), limits), entry.id());
      }
    }
    return kryo;
  }

  @SuppressWarnings("unchecked")
  private static Serializer<?> serializerFor(Kryo kryo, Class<?> type, CodecLimits limits) {
    if (type.isArray() && !type.getComponentType().isPrimitive()) {
      return checked(kryo.getDefaultSerializer(type), 1, limits);
    }
    if (Collection.class.isAssignableFrom(type)) {
      ReadBack.requireNoArgConstructor(type, "a collection");
      ReadBack.requireNoFieldsOfItsOwn(type, "collection");
      boolean hashed = Set.class.isAssignableFrom(type) && !SortedSet.class.isAssignableFrom(type);
      return new CountedCollectionSerializer(
          size -> (Collection<Object>) kryo.newInstance(type), limits, hashed);
    }
    if (Map.class.isAssignableFrom(type)) {
      ReadBack.requireNoArgConstructor(type, "a map");
      ReadBack.requireNoFieldsOfItsOwn(type, "map");
      boolean hashed = !SortedMap.class.isAssignableFrom(type);
      return new CountedMapSerializer(
          size -> (Map<Object, Object>) kryo.newInstance(type), limits, hashed);
    }
    Serializer<?> serializer = kryo.getDefaultSerializer(type);
    if (serializer instanceof FieldSerializer<?>) {
      ReadBack.requireNoArgConstructor(type, "a class written field by field");
    }
    return serializer;
  }

  /** Capacity of a hash set or map that holds {@code size} entries without rehashing. */
  private static int hashCapacity(int size) {
    return (int) Math.min(1 << 30, size / 0.75 + 1);
  }

  private static JdkType array(
      int id, Class<?> type, Supplier<Serializer<?>> serializer, int minBytes) {
    return new JdkType(id, type, (kryo, limits) -> checked(serializer.get(), minBytes, null));
  }

  /**
   * Wraps an array serializer so that its length is checked; {@code limits} is null for arrays of
   * primitives, which need no element limits (see {@link CheckedArraySerializer}).
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Serializer<?> checked(Serializer<?> serializer, int minBytes, CodecLimits limits) {
    return new CheckedArraySerializer<>((Serializer) serializer, minBytes, limits);
  }

  @SuppressWarnings("unchecked")
  private static JdkType collection(
      int id, Class<?> type, IntFunction<? extends Collection<?>> factory, boolean hashed) {
    return new JdkType(
        id,
        type,
        (kryo, limits) ->
            new CountedCollectionSerializer(
                size -> (Collection<Object>) factory.apply(size), limits, hashed));
  }

  @SuppressWarnings("unchecked")
  private static JdkType map(
      int id, Class<?> type, IntFunction<? extends Map<?, ?>> factory, boolean hashed) {
    return new JdkType(
        id,
        type,
        (kryo, limits) ->
            new CountedMapSerializer(
                size -> (Map<Object, Object>) factory.apply(size), limits, hashed));
  }

  /**
   * {@code List.of} rejects nulls; a list that holds one (from {@code Stream.toList()}) stays one.
   */
  private static JdkType immutableList(int id, Class<?> type) {
    return new JdkType(
        id,
        type,
        (kryo, limits) ->
            new CountedCollectionSerializer(
                ArrayList::new,
                c ->
                    c.contains(null)
                        ? Collections.unmodifiableList((List<Object>) c)
                        : List.copyOf(c),
                limits,
                false));
  }

  /**
   * {@code Set.of} rejects nulls and duplicates: a payload with either fails to decode. Its table
   * probes linearly, so elements sharing a hash code are checked as for a {@code HashSet}.
   */
  private static JdkType immutableSet(int id, Class<?> type) {
    return new JdkType(
        id,
        type,
        (kryo, limits) ->
            new CountedCollectionSerializer(
                ArrayList::new, c -> Set.of(c.toArray()), limits, true));
  }

  private static JdkType immutableMap(int id, Class<?> type) {
    return new JdkType(
        id,
        type,
        (kryo, limits) ->
            new CountedMapSerializer(
                size -> new HashMap<>(hashCapacity(size)), Map::copyOf, limits, true));
  }

  /** {@code JumboEnumSet}, the JDK's EnumSet for enums of more than 64 constants. */
  private static Class<?> jumboEnumSetClass() {
    return EnumSet.noneOf(Jumbo.class).getClass();
  }

  /** An enum of 65 constants, only to name {@code JumboEnumSet}. */
  private enum Jumbo {
    C00,
    C01,
    C02,
    C03,
    C04,
    C05,
    C06,
    C07,
    C08,
    C09,
    C10,
    C11,
    C12,
    C13,
    C14,
    C15,
    C16,
    C17,
    C18,
    C19,
    C20,
    C21,
    C22,
    C23,
    C24,
    C25,
    C26,
    C27,
    C28,
    C29,
    C30,
    C31,
    C32,
    C33,
    C34,
    C35,
    C36,
    C37,
    C38,
    C39,
    C40,
    C41,
    C42,
    C43,
    C44,
    C45,
    C46,
    C47,
    C48,
    C49,
    C50,
    C51,
    C52,
    C53,
    C54,
    C55,
    C56,
    C57,
    C58,
    C59,
    C60,
    C61,
    C62,
    C63,
    C64
  }
}
