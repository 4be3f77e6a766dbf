package dev.tether.codec.kryo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.kryo.KryoTestTypes.Account;
import dev.tether.codec.kryo.KryoTestTypes.Card;
import dev.tether.codec.kryo.KryoTestTypes.Cash;
import dev.tether.codec.kryo.KryoTestTypes.Currency;
import dev.tether.codec.kryo.KryoTestTypes.Holder;
import dev.tether.codec.kryo.KryoTestTypes.Line;
import dev.tether.codec.kryo.KryoTestTypes.Money;
import dev.tether.codec.kryo.KryoTestTypes.Order;
import dev.tether.codec.kryo.KryoTestTypes.Quantity;
import dev.tether.codec.kryo.KryoTestTypes.Status;
import dev.tether.codec.kryo.KryoTestTypes.Unit;
import dev.tether.testing.ContractCodecs;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
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
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every class of the fixed JDK table, beans and discovered classes come back as they went. */
class KryoSupportedTypesTest {
  private static final Codec CODEC = new KryoCodecProvider().create(KryoTestTypes.TYPES);

  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(T message) {
    byte[] bytes = ContractCodecs.encode(CODEC, message);
    return (T) CODEC.decode(message.getClass(), ByteBuffer.wrap(bytes));
  }

  private static Object holdAndReturn(Object value) {
    return roundTrip(new Holder(value)).value();
  }

  static Stream<Object> valuesThatKeepTheirClass() {
    Map<String, Integer> linkedMap = new LinkedHashMap<>();
    linkedMap.put("z", 1);
    linkedMap.put("a", null);
    return Stream.of(
        new ArrayList<>(Arrays.asList("a", null, 3)),
        new LinkedList<>(List.of(1L, 2L)),
        new HashSet<>(Set.of("x", "y")),
        new LinkedHashSet<>(List.of(3, 1, 2)),
        new TreeSet<>(List.of("b", "a")),
        new HashMap<>(Map.of("k", List.of(1))),
        linkedMap,
        new TreeMap<>(Map.of(2, "two", 1, "one")),
        List.of(),
        List.of(1),
        List.of(1, 2, 3),
        Set.of(),
        Set.of("one"),
        Set.of(1, 2, 3),
        Map.of(),
        Map.of("k", 1),
        Map.of("a", 1, "b", 2, "c", 3),
        Collections.emptyList(),
        Collections.emptySet(),
        Collections.emptyMap(),
        Collections.singletonList("s"),
        Collections.singleton(7),
        Collections.singletonMap("k", "v"),
        Arrays.asList("x", "y"),
        Collections.unmodifiableList(new ArrayList<>(List.of(1, 2))),
        Collections.unmodifiableSet(new HashSet<>(Set.of(1))),
        Collections.unmodifiableMap(new HashMap<>(Map.of(1, 2))),
        Instant.parse("2024-05-01T12:00:00.123456789Z"),
        Duration.ofSeconds(-5, 7),
        LocalDate.of(-9999, 12, 31),
        LocalTime.of(23, 59, 59, 999_999_999),
        LocalDateTime.of(2024, 2, 29, 0, 0),
        OffsetDateTime.of(2024, 5, 1, 12, 0, 0, 1, ZoneOffset.ofHours(-7)),
        ZonedDateTime.of(2024, 3, 31, 2, 30, 0, 0, ZoneId.of("Europe/Berlin")),
        ZonedDateTime.of(2024, 10, 27, 2, 30, 0, 0, ZoneId.of("Europe/Berlin"))
            .withLaterOffsetAtOverlap(),
        ZonedDateTime.of(2024, 10, 27, 2, 30, 0, 0, ZoneId.of("Europe/Berlin"))
            .withEarlierOffsetAtOverlap(),
        EnumSet.of(Status.OPEN, Status.CLOSED),
        EnumSet.noneOf(Status.class),
        Optional.of("present"),
        Optional.empty(),
        UUID.fromString("123e4567-e89b-12d3-a456-426614174000"),
        new BigInteger("-123456789012345678901234567890"),
        new BigDecimal("-1234567890.0987654321e-300"),
        BigDecimal.ZERO,
        Status.CLOSED,
        "text",
        Integer.MIN_VALUE,
        Long.MAX_VALUE,
        (short) -3,
        (byte) 7,
        'c',
        true,
        1.5f,
        -0.0);
  }

  @ParameterizedTest
  @MethodSource("valuesThatKeepTheirClass")
  void jdkValueComesBackEqualAndOfTheSameClass(Object value) {
    Object decoded = holdAndReturn(value);

    assertThat(decoded).isEqualTo(value);
    assertThat(decoded.getClass()).isEqualTo(value.getClass());
  }

  @Test
  void immutableCollectionsStayImmutable() {
    Stream.of(
            List.of(1, 2, 3),
            List.of(1, 2, 3).subList(1, 3), // decodes as a List.of of its elements
            Set.of(1),
            Collections.unmodifiableList(new ArrayList<>(List.of(1))),
            Stream.of(1, 2).toList())
        .forEach(
            value -> {
              Collection<Object> decoded = asCollection(holdAndReturn(value));
              assertThatThrownBy(() -> decoded.add(4))
                  .isInstanceOf(UnsupportedOperationException.class);
            });
    Map<?, ?> map = (Map<?, ?>) holdAndReturn(Map.of("k", 1));
    assertThatThrownBy(map::clear).isInstanceOf(UnsupportedOperationException.class);
  }

  @SuppressWarnings("unchecked")
  private static Collection<Object> asCollection(Object value) {
    return (Collection<Object>) value;
  }

  @Test
  void streamToListWithNullsComesBackAsAnUnmodifiableListWithTheNulls() {
    List<String> withNull = Stream.of("a", null).toList();

    Object decoded = holdAndReturn(withNull);

    assertThat(decoded).isEqualTo(withNull);
    assertThatThrownBy(() -> asCollection(decoded).add("b"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void arrayDequeKeepsItsElementsInOrder() {
    ArrayDeque<Integer> deque = new ArrayDeque<>(List.of(3, 1, 2));

    Object decoded = holdAndReturn(deque);

    assertThat(decoded).isInstanceOf(ArrayDeque.class);
    assertThat(((ArrayDeque<?>) decoded).toArray()).containsExactly(3, 1, 2);
  }

  @Test
  void linkedCollectionsKeepTheirIterationOrder() {
    LinkedHashSet<Integer> set = new LinkedHashSet<>(List.of(5, 1, 3));
    LinkedHashMap<String, Integer> map = new LinkedHashMap<>();
    map.put("z", 1);
    map.put("a", 2);

    assertThat(asCollection(holdAndReturn(set))).containsExactly(5, 1, 3);
    assertThat(((Map<?, ?>) holdAndReturn(map)).keySet().toArray()).containsExactly("z", "a");
  }

  @Test
  void arraysOfEveryPrimitiveAndOfReferencesComeBack() {
    Object[] arrays = {
      new byte[] {-1, 0, 1},
      new boolean[] {true, false},
      new char[] {'a', '\uffff'},
      new short[] {Short.MIN_VALUE},
      new int[] {Integer.MIN_VALUE, 0},
      new long[] {Long.MAX_VALUE},
      new float[] {Float.NaN},
      new double[] {-0.0},
      new String[] {"a", null, ""},
      new Object[] {1, "two", null, List.of(3)}
    };
    for (Object array : arrays) {
      Object decoded = holdAndReturn(array);

      assertThat(decoded.getClass()).isEqualTo(array.getClass());
      assertThat(decoded).isEqualTo(array); // AssertJ compares arrays element by element
    }
  }

  @Test
  void beanMessageWithNoArgConstructorComesBack() {
    Account account = new Account("ada", -42);

    assertThat(roundTrip(account)).isEqualTo(account);
  }

  @Test
  void recordsEnumsArraysAndSealedMembersFoundInComponentsNeedNoRegistration() {
    Order order =
        new Order(
            Status.OPEN,
            List.of(new Line("sku-1", new Quantity(3, Unit.KG))),
            new Money[] {new Money(100, Currency.EUR), null},
            new Cash(Currency.USD),
            Map.of("sku-1", Unit.PIECE));

    Order decoded = roundTrip(order);

    assertThat(decoded.status()).isEqualTo(order.status());
    assertThat(decoded.lines()).isEqualTo(order.lines());
    assertThat(decoded.amounts()).containsExactly(order.amounts());
    assertThat(decoded.payment()).isEqualTo(new Cash(Currency.USD));
    assertThat(decoded.units()).isEqualTo(order.units());
    assertThat(roundTrip(new Holder(new Card("4111")))).isEqualTo(new Holder(new Card("4111")));
  }

  @Test
  void zonedDateTimeKeepsItsOffsetInADaylightSavingOverlap() {
    // 02:30 happens twice in Berlin on 27 October 2024; Kryo's own serializer kept the first.
    ZonedDateTime later =
        ZonedDateTime.of(2024, 10, 27, 2, 30, 0, 0, ZoneId.of("Europe/Berlin"))
            .withLaterOffsetAtOverlap();

    ZonedDateTime decoded = (ZonedDateTime) holdAndReturn(later);

    assertThat(decoded).isEqualTo(later);
    assertThat(decoded.getOffset()).isEqualTo(ZoneOffset.ofHours(1));
    assertThat(decoded.toInstant()).isEqualTo(later.toInstant());
  }

  @Test
  void enumSetsComeBackAsEnumSetsOfTheirEnumWithoutBeingListed() {
    EnumSet<Unit> some = EnumSet.of(Unit.KG);
    EnumSet<Unit> none = EnumSet.noneOf(Unit.class);

    assertThat(holdAndReturn(some)).isEqualTo(some).isInstanceOf(EnumSet.class);
    assertThat(holdAndReturn(none)).isEqualTo(none).isInstanceOf(EnumSet.class);
    @SuppressWarnings("unchecked")
    EnumSet<Unit> decoded = (EnumSet<Unit>) holdAndReturn(none);
    assertThat(EnumSet.complementOf(decoded))
        .as("an empty set keeps its enum")
        .containsExactly(Unit.PIECE, Unit.KG);
  }

  @Test
  void listingRegularEnumSetInNestedAsTheOldHintSaidWorksToo() {
    // The codec used to answer an EnumSet with "list java.util.RegularEnumSet in nested(...)",
    // after which decoding failed: the collection had no no-arg constructor to be read through.
    MessageTypes types =
        MessageTypes.builder("kryo-enumset")
            .register(1, "kryo.Holder", Holder.class)
            .nested(EnumSet.noneOf(Unit.class).getClass(), Unit.class)
            .build();
    Codec codec = new KryoCodecProvider().create(types);
    Holder holder = new Holder(EnumSet.of(Unit.PIECE));

    byte[] bytes = ContractCodecs.encode(codec, holder);

    assertThat(codec.decode(Holder.class, ByteBuffer.wrap(bytes))).isEqualTo(holder);
  }

  @Test
  void aNestedClassThatCouldNotBeReadBackIsRefusedWhenTheCodecIsCreated() {
    MessageTypes types =
        MessageTypes.builder("kryo-unreadable")
            .register(1, "kryo.Holder", Holder.class)
            .nested(Collections.synchronizedList(new ArrayList<>()).getClass())
            .build();

    assertThatThrownBy(() -> new KryoCodecProvider().create(types))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(
            "kryo codec cannot carry java.util.Collections$SynchronizedRandomAccessList")
        .hasMessageContaining("without a no-arg constructor");
  }

  /** A collection class with a field of its own, which only its elements would carry. */
  public static class NamedList extends ArrayList<Object> {
    String name = "";
  }

  @Test
  void aNestedCollectionClassWithFieldsOfItsOwnIsRefusedWhenTheCodecIsCreated() {
    // Its name would arrive empty: the codec writes a collection's elements only.
    MessageTypes types =
        MessageTypes.builder("kryo-fields")
            .register(1, "kryo.Holder", Holder.class)
            .nested(NamedList.class)
            .build();

    assertThatThrownBy(() -> new KryoCodecProvider().create(types))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kryo codec cannot carry " + NamedList.class.getName())
        .hasMessageContaining("with fields of its own [name]");
  }

  @Test
  void anUnregisteredJdkClassIsRefusedSayingWhatToUseInstead() {
    assertThatThrownBy(
            () ->
                ContractCodecs.encode(
                    CODEC, new Holder(Collections.synchronizedList(new ArrayList<>()))))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining(
            "class java.util.Collections$SynchronizedRandomAccessList is not carried by the kryo"
                + " codec; use one of the JDK classes it registers")
        .hasMessageNotContaining("nested(");
  }

  @Test
  void sortedCollectionsWithAComparatorAreRefusedOnEncode() {
    TreeSet<String> reversed = new TreeSet<>(Collections.reverseOrder());
    reversed.add("a");

    assertThatThrownBy(() -> ContractCodecs.encode(CODEC, new Holder(reversed)))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining("only natural ordering is supported");
  }
}
