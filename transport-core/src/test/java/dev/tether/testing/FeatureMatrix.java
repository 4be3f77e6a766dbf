package dev.tether.testing;

import dev.tether.codec.CodecLimits;
import dev.tether.testing.MatrixTypes.Big;
import dev.tether.testing.MatrixTypes.Binary;
import dev.tether.testing.MatrixTypes.Boxes;
import dev.tether.testing.MatrixTypes.Chain;
import dev.tether.testing.MatrixTypes.Circle;
import dev.tether.testing.MatrixTypes.Decimal;
import dev.tether.testing.MatrixTypes.Drawing;
import dev.tether.testing.MatrixTypes.Enumerated;
import dev.tether.testing.MatrixTypes.Id;
import dev.tether.testing.MatrixTypes.Inner;
import dev.tether.testing.MatrixTypes.Lists;
import dev.tether.testing.MatrixTypes.Local;
import dev.tether.testing.MatrixTypes.Maps;
import dev.tether.testing.MatrixTypes.Moment;
import dev.tether.testing.MatrixTypes.Nullable;
import dev.tether.testing.MatrixTypes.Offset;
import dev.tether.testing.MatrixTypes.Optionals;
import dev.tether.testing.MatrixTypes.Outer;
import dev.tether.testing.MatrixTypes.Point;
import dev.tether.testing.MatrixTypes.PointArray;
import dev.tether.testing.MatrixTypes.Primitives;
import dev.tether.testing.MatrixTypes.RecordKeys;
import dev.tether.testing.MatrixTypes.RecordSet;
import dev.tether.testing.MatrixTypes.Sets;
import dev.tether.testing.MatrixTypes.Span;
import dev.tether.testing.MatrixTypes.Square;
import dev.tether.testing.MatrixTypes.Tag;
import dev.tether.testing.MatrixTypes.Text;
import dev.tether.testing.MatrixTypes.Tone;
import dev.tether.testing.MatrixTypes.Tones;
import dev.tether.testing.MatrixTypes.Tree;
import dev.tether.testing.MatrixTypes.Untyped;
import dev.tether.testing.MatrixTypes.UntypedList;
import dev.tether.testing.MatrixTypes.Zoned;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
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
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The cells of the feature matrix: for every feature of {@link MatrixTypes}, the values that break
 * careless codecs (extremes, nulls, zones, characters outside the BMP, sizes around common buffer
 * boundaries, more elements sharing a hash than {@link CodecLimits#defaults()} allow). Each codec
 * either carries a cell exactly or refuses to encode it; {@link FeatureMatrixContract} checks
 * which.
 */
public final class FeatureMatrix {
  private static final List<Cell> CELLS = build();

  private FeatureMatrix() {}

  /** One value of one feature; its name is {@code "feature: variant"}. */
  public record Cell(String feature, String variant, Object message) {
    /** Returns {@code "feature: variant"}, the key codecs use to declare a refusal. */
    public String name() {
      return feature + ": " + variant;
    }

    /** Returns the registered class the frame's type id would name. */
    public Class<?> type() {
      return message.getClass();
    }

    @Override
    public String toString() {
      return name();
    }
  }

  /** Returns every cell, in a fixed order. */
  public static List<Cell> cells() {
    return CELLS;
  }

  /** Returns the distinct features, in the order of {@link #cells()}. */
  public static List<String> features() {
    return CELLS.stream().map(Cell::feature).distinct().toList();
  }

  /** Returns {@code count} points of the same hash code and no two equal. */
  public static Set<Point> pointsSharingOneHash(int count) {
    Set<Point> points = new LinkedHashSet<>();
    for (int i = 0; i < count; i++) {
      // A record's hash is 31 * (31 * x + y) + hash(tone); x and y trade off against each other.
      points.add(new Point(i, -31 * i, null));
    }
    int hash = points.iterator().next().hashCode();
    if (points.stream().anyMatch(p -> p.hashCode() != hash)) {
      throw new AssertionError("this JVM hashes records differently; the points do not collide");
    }
    return points;
  }

  /**
   * Returns a {@code HashSet} of {@code count} tags that share one hash code and of which no two
   * are equal, built in linear time: a set cannot be filled with such elements in less than
   * quadratic time, so each tag goes in while its parts still hash apart, and they are changed to
   * collide afterwards. The set iterates and encodes normally; a decoder hashes the tags afresh.
   */
  public static Set<Tag> tagsSharingOneHash(int count) {
    Set<Tag> tags = new HashSet<>();
    List<List<Integer>> parts = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      List<Integer> part = new ArrayList<>(List.of(i, 0));
      parts.add(part);
      tags.add(new Tag(part));
    }
    for (int i = 0; i < count; i++) {
      parts.get(i).set(1, -31 * i); // the list's hash is 31 * (31 + i) + parts[1]: now all equal
    }
    return tags;
  }

  /**
   * Returns a {@code HashSet} of {@code count} tags in groups of {@code groupSize} that share a
   * hash code, each group another: the most collisions a set may hold within {@link
   * CodecLimits#maxSameHashElements()}, built in linear time as {@link #tagsSharingOneHash} is.
   */
  public static Set<Tag> tagsInGroupsSharingAHash(int count, int groupSize) {
    Set<Tag> tags = new HashSet<>();
    List<List<Integer>> parts = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      List<Integer> part = new ArrayList<>(List.of(i, 0));
      parts.add(part);
      tags.add(new Tag(part));
    }
    for (int i = 0; i < count; i++) {
      // hash 31 * (31 + i) + parts[1] = 961 + 1000 * group, the same within a group
      parts.get(i).set(1, -31 * i + 1000 * (i / groupSize));
    }
    return tags;
  }

  /** As {@link #tagsSharingOneHash}, as the keys of a {@code HashMap} whose values are "". */
  public static Map<Tag, String> tagKeysSharingOneHash(int count) {
    Map<Tag, String> names = new HashMap<>();
    List<List<Integer>> parts = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      List<Integer> part = new ArrayList<>(List.of(i, 0));
      parts.add(part);
      names.put(new Tag(part), "");
    }
    for (int i = 0; i < count; i++) {
      parts.get(i).set(1, -31 * i);
    }
    return names;
  }

  private static List<Cell> build() {
    List<Cell> cells = new ArrayList<>();
    String primitives = "primitives";
    cells.add(
        new Cell(
            primitives,
            "minimum of every type",
            new Primitives(
                false,
                Byte.MIN_VALUE,
                Short.MIN_VALUE,
                Character.MIN_VALUE,
                Integer.MIN_VALUE,
                Long.MIN_VALUE,
                -Float.MAX_VALUE,
                -Double.MAX_VALUE)));
    cells.add(
        new Cell(
            primitives,
            "maximum of every type",
            new Primitives(
                true,
                Byte.MAX_VALUE,
                Short.MAX_VALUE,
                Character.MAX_VALUE,
                Integer.MAX_VALUE,
                Long.MAX_VALUE,
                Float.MAX_VALUE,
                Double.MAX_VALUE)));
    cells.add(
        new Cell(
            primitives,
            "NaN, infinity, negative zero, smallest values",
            new Primitives(
                true, (byte) 0, (short) 0, 'é', 0, 0, Float.NaN, Double.NEGATIVE_INFINITY)));
    cells.add(
        new Cell(
            primitives,
            "negative zero and subnormals",
            new Primitives(false, (byte) 1, (short) -1, '\ufffe', -1, 1, -0.0f, Double.MIN_VALUE)));
    cells.add(
        new Cell(
            primitives,
            "a char that is a lone surrogate",
            new Primitives(false, (byte) 0, (short) 0, '\ud800', 0, 0, 0f, 0)));

    String boxes = "boxed primitives";
    cells.add(
        new Cell(
            boxes,
            "extremes",
            new Boxes(
                Boolean.TRUE,
                Byte.MIN_VALUE,
                Short.MAX_VALUE,
                Character.MAX_VALUE,
                Integer.MIN_VALUE,
                Long.MAX_VALUE,
                Float.MIN_VALUE,
                Double.NaN)));
    cells.add(
        new Cell(boxes, "all null", new Boxes(null, null, null, null, null, null, null, null)));

    String text = "String";
    cells.add(new Cell(text, "empty", new Text("")));
    cells.add(new Cell(text, "null", new Text(null)));
    cells.add(new Cell(text, "ASCII", new Text("hello, matrix")));
    cells.add(new Cell(text, "BMP: accents, CJK, symbols", new Text("grüße, 你好, Привет, ☃ ﬃ")));
    cells.add(new Cell(text, "outside the BMP: 𝄞 😀 👨‍👩‍👧", new Text("a𝄞b😀c 👨‍👩‍👧 𠜎")));
    cells.add(
        new Cell(
            text,
            "controls and characters JSON escapes",
            new Text("nul \u0000 tab \t quote \" backslash \\ \u2028\u2029 \u007f \ufeff \uffff")));
    cells.add(new Cell(text, "a lone high surrogate", new Text("a\ud800b")));
    cells.add(new Cell(text, "a lone low surrogate", new Text("a\udc00b")));
    for (int length : new int[] {7_999, 8_000, 8_001, 16_384}) {
      // Many parsers read 8,000 or 16 KiB at a time: a character split across such a boundary is
      // where a streaming decoder goes wrong.
      cells.add(
          new Cell(
              text,
              String.format("%,d characters, multi-byte ones across buffer boundaries", length),
              new Text(boundaryText(length))));
    }
    cells.add(
        new Cell(text, "300,000 characters outside the BMP", new Text("𝄞ab".repeat(100_000))));

    String binary = "byte[]";
    Random random = new Random(0x7E7E_BEEFL);
    cells.add(new Cell(binary, "null", new Binary(null)));
    cells.add(new Cell(binary, "empty", new Binary(new byte[0])));
    byte[] everyValue = new byte[256];
    for (int i = 0; i < everyValue.length; i++) {
      everyValue[i] = (byte) i;
    }
    cells.add(new Cell(binary, "every byte value", new Binary(everyValue)));
    for (int length : new int[] {8_000, 65_537}) {
      byte[] bytes = new byte[length];
      random.nextBytes(bytes);
      cells.add(new Cell(binary, String.format("%,d random bytes", length), new Binary(bytes)));
    }

    String enums = "enum";
    for (Tone tone : Tone.values()) {
      cells.add(new Cell(enums, tone.name(), new Enumerated(tone)));
    }
    cells.add(new Cell(enums, "null", new Enumerated(null)));

    String nested = "nested records";
    cells.add(
        new Cell(
            nested,
            "records in records",
            new Outer(
                "route",
                new Point(1, -2, Tone.LOW),
                new Inner(new Point(0, 0, Tone.MID), new Point(-7, 7, null)))));
    cells.add(new Cell(nested, "null inner records", new Outer("", null, new Inner(null, null))));

    String lists = "List";
    cells.add(new Cell(lists, "List.of", new Lists(List.of("a", "", "ü𝄞"), List.of(1, -1))));
    cells.add(
        new Cell(
            lists,
            "ArrayList with null elements",
            new Lists(new ArrayList<>(Arrays.asList("x", null)), new ArrayList<>(List.of(7)))));
    cells.add(
        new Cell(
            lists,
            "LinkedList",
            new Lists(new LinkedList<>(List.of("a", "b")), new LinkedList<>(List.of(3)))));
    cells.add(new Cell(lists, "empty", new Lists(List.of(), new ArrayList<>())));
    cells.add(new Cell(lists, "null", new Lists(null, null)));

    String sets = "Set";
    cells.add(
        new Cell(sets, "HashSet", new Sets(new HashSet<>(Set.of("a", "b")), new HashSet<>())));
    cells.add(
        new Cell(
            sets,
            "LinkedHashSet",
            new Sets(new LinkedHashSet<>(List.of("z", "a")), new LinkedHashSet<>(List.of(2, 1)))));
    cells.add(
        new Cell(
            sets,
            "TreeSet",
            new Sets(new TreeSet<>(Set.of("b", "a")), new TreeSet<>(Set.of(Integer.MIN_VALUE)))));
    cells.add(new Cell(sets, "Set.of", new Sets(Set.of("only"), Set.of(1, 2, 3))));
    cells.add(
        new Cell(
            sets, "200 strings sharing one hash code", new Sets(collidingStrings(), Set.of())));

    String maps = "Map";
    cells.add(new Cell(maps, "HashMap", new Maps(new HashMap<>(Map.of("a", 1, "b", -1)))));
    cells.add(new Cell(maps, "LinkedHashMap with a null value", new Maps(linkedMap("k", null))));
    cells.add(new Cell(maps, "TreeMap", new Maps(new TreeMap<>(Map.of("b", 2, "a", 1)))));
    cells.add(new Cell(maps, "Map.of", new Maps(Map.of("one", 1))));
    cells.add(new Cell(maps, "empty", new Maps(Map.of())));

    String recordSet = "Set of records";
    cells.add(
        new Cell(
            recordSet,
            "three points",
            new RecordSet(
                new HashSet<>(
                    Set.of(
                        new Point(1, 2, Tone.LOW),
                        new Point(2, 1, null),
                        new Point(0, 0, null))))));
    int limit = CodecLimits.DEFAULT_MAX_SAME_HASH_ELEMENTS;
    cells.add(
        new Cell(
            recordSet,
            limit + " points sharing one hash code (the limit)",
            new RecordSet(new HashSet<>(pointsSharingOneHash(limit)))));
    cells.add(
        new Cell(
            recordSet,
            (limit + 1) + " points sharing one hash code",
            new RecordSet(new HashSet<>(pointsSharingOneHash(limit + 1)))));

    String recordKeys = "Map with record keys";
    cells.add(
        new Cell(
            recordKeys,
            "two keys",
            new RecordKeys(
                new HashMap<>(
                    Map.of(new Point(1, 1, Tone.HIGH), "a", new Point(2, 2, null), "b")))));

    String enumSet = "EnumSet";
    cells.add(new Cell(enumSet, "some", new Tones(EnumSet.of(Tone.LOW, Tone.HIGH))));
    cells.add(new Cell(enumSet, "none", new Tones(EnumSet.noneOf(Tone.class))));
    cells.add(new Cell(enumSet, "all", new Tones(EnumSet.allOf(Tone.class))));

    String optional = "Optional";
    cells.add(
        new Cell(
            optional,
            "present",
            new Optionals(Optional.of("x"), Optional.of(new Point(3, 4, Tone.MID)))));
    cells.add(new Cell(optional, "empty", new Optionals(Optional.empty(), Optional.empty())));
    cells.add(new Cell(optional, "a null Optional field", new Optionals(null, Optional.empty())));

    String uuid = "UUID";
    cells.add(
        new Cell(uuid, "random", new Id(UUID.fromString("123e4567-e89b-12d3-a456-426614174000"))));
    cells.add(new Cell(uuid, "nil", new Id(new UUID(0, 0))));
    cells.add(new Cell(uuid, "all ones", new Id(new UUID(-1, -1))));

    String decimal = "BigDecimal";
    cells.add(new Cell(decimal, "0.10 keeps its scale", new Decimal(new BigDecimal("0.10"))));
    cells.add(
        new Cell(
            decimal,
            "negative, 40 digits",
            new Decimal(new BigDecimal("-1234567890123456789012345678901234567890"))));
    cells.add(
        new Cell(decimal, "256 digits", new Decimal(new BigDecimal(digits(256)).movePointLeft(3))));
    cells.add(
        new Cell(decimal, "257 digits", new Decimal(new BigDecimal(digits(257)).movePointLeft(3))));
    cells.add(
        new Cell(
            decimal,
            "scale Integer.MAX_VALUE",
            new Decimal(new BigDecimal(BigInteger.ONE, Integer.MAX_VALUE))));
    cells.add(
        new Cell(
            decimal,
            "scale -Integer.MAX_VALUE",
            new Decimal(new BigDecimal(BigInteger.ONE, -Integer.MAX_VALUE))));
    cells.add(
        new Cell(
            decimal,
            "scale Integer.MIN_VALUE",
            new Decimal(new BigDecimal(BigInteger.ONE, Integer.MIN_VALUE))));

    String bigInteger = "BigInteger";
    cells.add(new Cell(bigInteger, "2^64", new Big(BigInteger.TWO.pow(64))));
    cells.add(new Cell(bigInteger, "-(2^200)", new Big(BigInteger.TWO.pow(200).negate())));
    cells.add(new Cell(bigInteger, "256 digits", new Big(new BigInteger(digits(256)))));
    cells.add(new Cell(bigInteger, "257 digits", new Big(new BigInteger(digits(257)))));

    String instant = "Instant";
    cells.add(new Cell(instant, "the epoch", new Moment(Instant.EPOCH)));
    cells.add(
        new Cell(
            instant,
            "the nanosecond before the epoch",
            new Moment(Instant.ofEpochSecond(-1, 999_999_999))));
    cells.add(new Cell(instant, "Instant.MIN", new Moment(Instant.MIN)));
    cells.add(new Cell(instant, "Instant.MAX", new Moment(Instant.MAX)));

    String duration = "Duration";
    cells.add(new Cell(duration, "zero", new Span(Duration.ZERO)));
    cells.add(new Cell(duration, "minus one nanosecond", new Span(Duration.ofNanos(-1))));
    cells.add(
        new Cell(
            duration, "the longest", new Span(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999))));
    cells.add(
        new Cell(duration, "the most negative", new Span(Duration.ofSeconds(Long.MIN_VALUE))));

    String zoned = "ZonedDateTime";
    ZoneId paris = ZoneId.of("Europe/Paris");
    cells.add(
        new Cell(
            zoned,
            "Europe/Paris in summer",
            new Zoned(ZonedDateTime.of(2024, 5, 1, 12, 0, 0, 123_456_789, paris))));
    ZonedDateTime overlap = ZonedDateTime.of(2024, 10, 27, 2, 30, 0, 0, paris);
    cells.add(
        new Cell(
            zoned,
            "Europe/Paris autumn overlap, earlier offset",
            new Zoned(overlap.withEarlierOffsetAtOverlap())));
    cells.add(
        new Cell(
            zoned,
            "Europe/Paris autumn overlap, later offset",
            new Zoned(overlap.withLaterOffsetAtOverlap())));
    cells.add(
        new Cell(
            zoned,
            "an offset as zone, +05:30",
            new Zoned(
                ZonedDateTime.of(2024, 5, 1, 12, 0, 0, 0, ZoneOffset.ofHoursMinutes(5, 30)))));
    cells.add(
        new Cell(
            zoned, "UTC", new Zoned(ZonedDateTime.of(2024, 5, 1, 12, 0, 0, 0, ZoneId.of("UTC")))));
    cells.add(
        new Cell(
            zoned,
            "LocalDateTime.MAX at -18:00",
            new Zoned(ZonedDateTime.of(LocalDateTime.MAX, ZoneOffset.MIN))));
    cells.add(
        new Cell(
            zoned,
            "LocalDateTime.MIN at +18:00",
            new Zoned(ZonedDateTime.of(LocalDateTime.MIN, ZoneOffset.MAX))));

    String offset = "OffsetDateTime";
    cells.add(
        new Cell(
            offset,
            "+05:30 with nanoseconds",
            new Offset(
                OffsetDateTime.of(2024, 5, 1, 12, 0, 0, 5, ZoneOffset.ofHoursMinutes(5, 30)))));
    cells.add(new Cell(offset, "OffsetDateTime.MIN", new Offset(OffsetDateTime.MIN)));
    cells.add(new Cell(offset, "OffsetDateTime.MAX", new Offset(OffsetDateTime.MAX)));

    String local = "LocalDate, LocalTime, LocalDateTime";
    cells.add(
        new Cell(local, "minimum", new Local(LocalDate.MIN, LocalTime.MIN, LocalDateTime.MIN)));
    cells.add(
        new Cell(local, "maximum", new Local(LocalDate.MAX, LocalTime.MAX, LocalDateTime.MAX)));

    String array = "array of records";
    cells.add(
        new Cell(
            array,
            "three points and a null",
            new PointArray(new Point[] {new Point(1, 2, Tone.LOW), null, new Point(3, 4, null)})));
    cells.add(new Cell(array, "empty", new PointArray(new Point[0])));
    cells.add(new Cell(array, "null", new PointArray(null)));

    cells.add(
        new Cell(
            "null fields",
            "every kind of field null",
            new Nullable(null, null, null, null, null, null, null, null, null)));

    String untyped = "field declared Object";
    cells.add(new Cell(untyped, "a String", new Untyped("text")));
    cells.add(new Cell(untyped, "an Integer", new Untyped(5)));
    cells.add(new Cell(untyped, "a Long", new Untyped(5L)));
    cells.add(new Cell(untyped, "a Double", new Untyped(1.5)));
    cells.add(new Cell(untyped, "a record", new Untyped(new Point(1, 2, Tone.LOW))));
    cells.add(new Cell(untyped, "null", new Untyped(null)));
    cells.add(
        new Cell(
            "List<Object>",
            "strings and integers",
            new UntypedList(new ArrayList<>(List.of("a", 1, "b")))));
    cells.add(
        new Cell(
            "List<Object>", "a Long element", new UntypedList(new ArrayList<>(List.of("a", 2L)))));

    String sealed = "field declared as a sealed interface";
    cells.add(new Cell(sealed, "a Circle", new Drawing(new Circle(1.5))));
    cells.add(new Cell(sealed, "a Square", new Drawing(new Square(-0.0))));
    cells.add(new Cell(sealed, "null", new Drawing(null)));

    String depth = "nesting";
    cells.add(
        new Cell(
            depth,
            CodecLimits.DEFAULT_MAX_DEPTH + " records in one another (the limit)",
            chain(CodecLimits.DEFAULT_MAX_DEPTH)));
    cells.add(
        new Cell(
            depth,
            (CodecLimits.DEFAULT_MAX_DEPTH + 1) + " records in one another",
            chain(CodecLimits.DEFAULT_MAX_DEPTH + 1)));
    cells.add(new Cell(depth, "a tree 3 levels deep", tree(3)));
    cells.add(new Cell(depth, "a tree 100 levels deep, a list at each", tree(100)));
    return List.copyOf(cells);
  }

  /** {@code Chain} nested {@code levels} deep, built without recursion. */
  public static Chain chain(int levels) {
    Chain chain = null;
    for (int i = 0; i < levels; i++) {
      chain = new Chain(chain);
    }
    return chain;
  }

  /**
   * {@code leaf} as the key of a singleton map with a {@code null} value, that map as the key of
   * another, {@code levels} maps in all: {@code leaf} lies at key nesting {@code levels}. Its hash
   * code is {@code leaf}'s at every level (a singleton map hashes as {@code key ^ value}).
   */
  public static Map<Object, Object> keysNested(Object leaf, int levels) {
    Object key = leaf;
    for (int i = 0; i < levels; i++) {
      key = Collections.singletonMap(key, null);
    }
    @SuppressWarnings("unchecked")
    Map<Object, Object> map = (Map<Object, Object>) key;
    return map;
  }

  /**
   * A {@code HashSet} of two maps whose keys nest {@code levels} deep, on {@code "Aa"} and on
   * {@code "BB"}: unequal, with equal hash codes, so that a decoder that puts both in a set
   * compares them, and {@code AbstractMap.equals} looks each key up twice (its value is {@code
   * null}): 2 to the {@code levels} comparisons. Built without comparing them, as {@link
   * #tagsSharingOneHash} is: the second map goes into the set empty, hashing apart, and gets its
   * key afterwards.
   */
  public static Set<Object> twoMapsNestingKeys(int levels) {
    Set<Object> maps = new HashSet<>();
    Map<Object, Object> first = new HashMap<>();
    first.put(keysNested("Aa", levels - 1), null);
    maps.add(first);
    Map<Object, Object> second = new HashMap<>();
    maps.add(second);
    second.put(keysNested("BB", levels - 1), null);
    if (first.hashCode() != second.hashCode() || maps.size() != 2) {
      throw new AssertionError("the two maps should hash alike and differ");
    }
    return maps;
  }

  /** A {@code Tree} {@code levels} deep with one child at each level but the last. */
  public static Tree tree(int levels) {
    Tree tree = new Tree(List.of());
    for (int i = 1; i < levels; i++) {
      tree = new Tree(List.of(tree));
    }
    return tree;
  }

  /** ASCII with a 2-, 3- and 4-byte character every few hundred, {@code length} chars in all. */
  private static String boundaryText(int length) {
    StringBuilder text = new StringBuilder(length);
    String[] specials = {"é", "€", "𝄞"};
    int special = 0;
    while (text.length() < length) {
      if (text.length() % 331 == 330 && text.length() + 2 <= length) {
        text.append(specials[special++ % specials.length]);
      } else {
        text.append((char) ('a' + text.length() % 26));
      }
    }
    return text.substring(0, length);
  }

  /** 200 strings of the same hash code: "Aa" and "BB" hash alike, and so do their products. */
  private static Set<String> collidingStrings() {
    Set<String> strings = new LinkedHashSet<>();
    for (int i = 0; strings.size() < 200; i++) {
      StringBuilder s = new StringBuilder();
      for (int bit = 0; bit < 8; bit++) {
        s.append((i >> bit & 1) == 0 ? "Aa" : "BB");
      }
      strings.add(s.toString());
    }
    return strings;
  }

  private static String digits(int count) {
    StringBuilder digits = new StringBuilder(count);
    for (int i = 0; i < count; i++) {
      digits.append((char) ('1' + i % 9));
    }
    return digits.toString();
  }

  private static Map<String, Integer> linkedMap(String key, Integer value) {
    Map<String, Integer> map = new LinkedHashMap<>();
    map.put("a", 1);
    map.put(key, value);
    return map;
  }
}
