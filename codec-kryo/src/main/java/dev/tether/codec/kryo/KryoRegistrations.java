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
import com.esotericsoftware.kryo.serializers.DefaultSerializers.CollectionsSingletonMapSerializer;
import com.esotericsoftware.kryo.serializers.DefaultSerializers.CollectionsSingletonSetSerializer;
import com.esotericsoftware.kryo.serializers.DefaultSerializers.UUIDSerializer;
import com.esotericsoftware.kryo.serializers.TimeSerializers.DurationSerializer;
import com.esotericsoftware.kryo.serializers.TimeSerializers.InstantSerializer;
import com.esotericsoftware.kryo.serializers.TimeSerializers.LocalDateSerializer;
import com.esotericsoftware.kryo.serializers.TimeSerializers.LocalDateTimeSerializer;
import com.esotericsoftware.kryo.serializers.TimeSerializers.LocalTimeSerializer;
import com.esotericsoftware.kryo.serializers.TimeSerializers.OffsetDateTimeSerializer;
import com.esotericsoftware.kryo.serializers.TimeSerializers.ZonedDateTimeSerializer;
import com.esotericsoftware.kryo.util.DefaultInstantiatorStrategy;
import dev.tether.MessageTypes;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Function;
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
   * How deeply objects may nest: Kryo counts one level for every object it reads or writes inside
   * another (a record, a collection, each element). A message deeper than this fails with a {@link
   * com.esotericsoftware.kryo.KryoException} instead of a {@link StackOverflowError}. Each level of
   * a record inside a record costs about 0.5 KiB of stack on read, so 200 levels stay within a
   * thread stack of 256 KiB; real messages are rarely deeper than 10. A cyclic object graph fails
   * on encode at this depth, too (references are off).
   */
  static final int MAX_DEPTH = 200;

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
  private record JdkType(int id, Class<?> type, Function<Kryo, Serializer<?>> serializer) {}

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
          array(18, String[].class, StringArraySerializer::new, 1),
          new JdkType(
              19,
              Object[].class,
              kryo -> checked(new ObjectArraySerializer(kryo, Object[].class), 1)),
          collection(20, ArrayList.class, ArrayList::new),
          collection(21, LinkedList.class, size -> new LinkedList<>()),
          collection(22, ArrayDeque.class, ArrayDeque::new),
          collection(23, HashSet.class, size -> new HashSet<>(hashCapacity(size))),
          collection(24, LinkedHashSet.class, size -> new LinkedHashSet<>(hashCapacity(size))),
          collection(25, TreeSet.class, size -> new TreeSet<>()),
          map(26, HashMap.class, size -> new HashMap<>(hashCapacity(size))),
          map(27, LinkedHashMap.class, size -> new LinkedHashMap<>(hashCapacity(size))),
          map(28, TreeMap.class, size -> new TreeMap<>()),
          immutableList(29, List.of(1).getClass()),
          immutableList(30, List.of(1, 2, 3).getClass()),
          immutableList(31, List.of(1, 2, 3).subList(0, 2).getClass()),
          immutableSet(32, Set.of(1).getClass()),
          immutableSet(33, Set.of(1, 2, 3).getClass()),
          immutableMap(34, Map.of(1, 1).getClass()),
          immutableMap(35, Map.of(1, 1, 2, 2).getClass()),
          new JdkType(
              36, Collections.emptyList().getClass(), k -> new CollectionsEmptyListSerializer()),
          new JdkType(
              37, Collections.emptySet().getClass(), k -> new CollectionsEmptySetSerializer()),
          new JdkType(
              38, Collections.emptyMap().getClass(), k -> new CollectionsEmptyMapSerializer()),
          new JdkType(
              39,
              Collections.singletonList(1).getClass(),
              k -> new CollectionsSingletonListSerializer()),
          new JdkType(
              40,
              Collections.singleton(1).getClass(),
              k -> new CollectionsSingletonSetSerializer()),
          new JdkType(
              41,
              Collections.singletonMap(1, 1).getClass(),
              k -> new CollectionsSingletonMapSerializer()),
          new JdkType(
              42,
              Arrays.asList(1, 2).getClass(),
              k ->
                  new CountedCollectionSerializer(ArrayList::new, c -> Arrays.asList(c.toArray()))),
          new JdkType(
              43,
              Collections.unmodifiableList(new ArrayList<>()).getClass(),
              k ->
                  new CountedCollectionSerializer(
                      ArrayList::new, c -> Collections.unmodifiableList((List<Object>) c))),
          new JdkType(
              44,
              Collections.unmodifiableSet(new HashSet<>()).getClass(),
              k ->
                  new CountedCollectionSerializer(
                      size -> new LinkedHashSet<>(hashCapacity(size)),
                      c -> Collections.unmodifiableSet((Set<Object>) c))),
          new JdkType(
              45,
              Collections.unmodifiableMap(new HashMap<>()).getClass(),
              k ->
                  new CountedMapSerializer(
                      size -> new LinkedHashMap<>(hashCapacity(size)),
                      Collections::unmodifiableMap)),
          new JdkType(46, Instant.class, k -> new InstantSerializer()),
          new JdkType(47, Duration.class, k -> new DurationSerializer()),
          new JdkType(48, LocalDate.class, k -> new LocalDateSerializer()),
          new JdkType(49, LocalTime.class, k -> new LocalTimeSerializer()),
          new JdkType(50, LocalDateTime.class, k -> new LocalDateTimeSerializer()),
          new JdkType(51, OffsetDateTime.class, k -> new OffsetDateTimeSerializer()),
          new JdkType(52, ZonedDateTime.class, k -> new ZonedDateTimeSerializer()),
          new JdkType(53, UUID.class, k -> new UUIDSerializer()),
          new JdkType(54, BigInteger.class, k -> new BigIntegerSerializer()),
          new JdkType(55, BigDecimal.class, k -> new BigDecimalSerializer()));

  private static final Map<Integer, Function<Kryo, Serializer<?>>> JDK_BY_ID = new HashMap<>();

  static {
    for (JdkType jdk : JDK_TYPES) {
      JDK_BY_ID.put(jdk.id(), jdk.serializer());
    }
  }

  private final List<Entry> entries;

  private KryoRegistrations(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /** Derives the registrations for {@code types}. */
  static KryoRegistrations of(MessageTypes types) {
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
    return new KryoRegistrations(entries);
  }

  /** Returns every registration, Kryo's own included, in ascending id. */
  List<Entry> entries() {
    return entries;
  }

  /**
   * Creates a Kryo instance with every registration and Tether's settings:
   *
   * <ul>
   *   <li>{@code registrationRequired = true}: a class id that is not registered fails, and no
   *       class is ever named in the payload ({@link StrictClassResolver} refuses names outright).
   *   <li>{@code references = false}: messages are trees of values, as in the JSON codec. A shared
   *       object is written once per use, and a cycle fails at {@link #MAX_DEPTH}. Reference
   *       tracking would cost an identity-map lookup per object on write and would let a payload
   *       point back at objects still being built.
   *   <li>{@code maxDepth = }{@value #MAX_DEPTH}.
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
    kryo.setMaxDepth(MAX_DEPTH);
    kryo.setOptimizedGenerics(false);
    kryo.setInstantiatorStrategy(new DefaultInstantiatorStrategy());
    kryo.setAutoReset(true);
    for (Entry entry : entries) {
      switch (entry.source()) {
        case KRYO -> {} // registered by Kryo's constructor
        case JDK -> kryo.register(entry.type(), JDK_BY_ID.get(entry.id()).apply(kryo), entry.id());
        default -> kryo.register(entry.type(), serializerFor(kryo, entry.type()), entry.id());
      }
    }
    return kryo;
  }

  @SuppressWarnings("unchecked")
  private static Serializer<?> serializerFor(Kryo kryo, Class<?> type) {
    if (type.isArray() && !type.getComponentType().isPrimitive()) {
      return checked(kryo.getDefaultSerializer(type), 1);
    }
    if (Collection.class.isAssignableFrom(type)) {
      return new CountedCollectionSerializer(size -> (Collection<Object>) kryo.newInstance(type));
    }
    if (Map.class.isAssignableFrom(type)) {
      return new CountedMapSerializer(size -> (Map<Object, Object>) kryo.newInstance(type));
    }
    return kryo.getDefaultSerializer(type);
  }

  /** Capacity of a hash set or map that holds {@code size} entries without rehashing. */
  private static int hashCapacity(int size) {
    return (int) Math.min(1 << 30, size / 0.75 + 1);
  }

  private static JdkType array(
      int id, Class<?> type, Supplier<Serializer<?>> serializer, int minBytes) {
    return new JdkType(id, type, kryo -> checked(serializer.get(), minBytes));
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Serializer<?> checked(Serializer<?> serializer, int minBytes) {
    return new CheckedArraySerializer<>((Serializer) serializer, minBytes);
  }

  @SuppressWarnings("unchecked")
  private static JdkType collection(
      int id, Class<?> type, IntFunction<? extends Collection<?>> factory) {
    return new JdkType(
        id,
        type,
        kryo -> new CountedCollectionSerializer(size -> (Collection<Object>) factory.apply(size)));
  }

  @SuppressWarnings("unchecked")
  private static JdkType map(int id, Class<?> type, IntFunction<? extends Map<?, ?>> factory) {
    return new JdkType(
        id,
        type,
        kryo -> new CountedMapSerializer(size -> (Map<Object, Object>) factory.apply(size)));
  }

  /**
   * {@code List.of} rejects nulls; a list that holds one (from {@code Stream.toList()}) stays one.
   */
  private static JdkType immutableList(int id, Class<?> type) {
    return new JdkType(
        id,
        type,
        kryo ->
            new CountedCollectionSerializer(
                ArrayList::new,
                c ->
                    c.contains(null)
                        ? Collections.unmodifiableList((List<Object>) c)
                        : List.copyOf(c)));
  }

  /** {@code Set.of} rejects nulls and duplicates: a payload with either fails to decode. */
  private static JdkType immutableSet(int id, Class<?> type) {
    return new JdkType(
        id,
        type,
        kryo -> new CountedCollectionSerializer(ArrayList::new, c -> Set.of(c.toArray())));
  }

  private static JdkType immutableMap(int id, Class<?> type) {
    return new JdkType(
        id,
        type,
        kryo -> new CountedMapSerializer(size -> new HashMap<>(hashCapacity(size)), Map::copyOf));
  }
}
