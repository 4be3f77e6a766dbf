package dev.tether.testing;

import dev.tether.testing.ContractTypes.Bytes;
import dev.tether.testing.ContractTypes.Circle;
import dev.tether.testing.ContractTypes.Collections;
import dev.tether.testing.ContractTypes.Color;
import dev.tether.testing.ContractTypes.Deep;
import dev.tether.testing.ContractTypes.Nested;
import dev.tether.testing.ContractTypes.Point;
import dev.tether.testing.ContractTypes.Scalars;
import dev.tether.testing.ContractTypes.Square;
import dev.tether.testing.ContractTypes.Temporal;
import dev.tether.testing.ContractTypes.Text;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

/**
 * The messages the codec contracts send: every shape of {@link ContractTypes}, each with the values
 * that break careless codecs. The same instances every run: sets and maps iterate in insertion
 * order and random bytes come from a fixed seed, so an encoding, and a failure, is reproducible.
 */
public final class ContractSamples {
  /** 4 MiB: far beyond any codec's internal buffer, well inside the default 16 MiB frame. */
  public static final int LARGE_BYTES = 4 * 1024 * 1024;

  private static final List<Sample> ALL = build();

  private ContractSamples() {}

  /** One message with a name that says what it exercises. */
  public record Sample(String name, Object message) {
    /** Returns true for the {@link Temporal} samples, which a codec may declare it cannot carry. */
    public boolean isTemporal() {
      return message instanceof Temporal;
    }

    /** Returns the registered class the frame's type id would name. */
    public Class<?> type() {
      return message.getClass();
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** Returns every sample, {@link Temporal} ones included, in a fixed order. */
  public static List<Sample> all() {
    return ALL;
  }

  private static List<Sample> build() {
    List<Sample> samples = new ArrayList<>();

    samples.add(
        new Sample(
            "Scalars: minimum of every type",
            new Scalars(
                false,
                Byte.MIN_VALUE,
                Short.MIN_VALUE,
                Character.MIN_VALUE,
                Integer.MIN_VALUE,
                Long.MIN_VALUE,
                -Float.MAX_VALUE,
                -Double.MAX_VALUE,
                Integer.MIN_VALUE,
                Long.MIN_VALUE,
                -Double.MAX_VALUE)));
    samples.add(
        new Sample(
            "Scalars: maximum of every type",
            new Scalars(
                true,
                Byte.MAX_VALUE,
                Short.MAX_VALUE,
                Character.MAX_VALUE,
                Integer.MAX_VALUE,
                Long.MAX_VALUE,
                Float.MAX_VALUE,
                Double.MAX_VALUE,
                Integer.MAX_VALUE,
                Long.MAX_VALUE,
                Double.MAX_VALUE)));
    samples.add(
        new Sample(
            "Scalars: NaN and negative zero",
            new Scalars(
                true, (byte) -1, (short) -1, 'x', -1, -1L, -0.0f, Double.NaN, -1, -1L, -0.0)));
    samples.add(
        new Sample(
            "Scalars: infinities and the smallest positive values",
            new Scalars(
                false,
                (byte) 1,
                (short) 1,
                '\u00e9',
                1,
                1L,
                Float.MIN_VALUE,
                Double.POSITIVE_INFINITY,
                0,
                0L,
                Double.NEGATIVE_INFINITY)));
    samples.add(
        new Sample(
            "Scalars: float NaN, smallest double, boxed NaN",
            new Scalars(
                true,
                (byte) 0,
                (short) 0,
                '\ud7ff',
                0,
                0L,
                Float.NaN,
                Double.MIN_VALUE,
                0,
                0L,
                Double.NaN)));
    samples.add(
        new Sample(
            "Scalars: float -Infinity, boxed nulls",
            new Scalars(
                false,
                (byte) 0,
                (short) 0,
                '0',
                0,
                0L,
                Float.NEGATIVE_INFINITY,
                0.0,
                null,
                null,
                null)));

    samples.add(new Sample("Text: empty string and null", new Text("", null)));
    samples.add(new Sample("Text: ASCII", new Text("hello, contract", "")));
    samples.add(new Sample("Text: non-ASCII in the BMP", new Text("grüße, 你好, Привет, ☃ ﬃ", "é")));
    samples.add(new Sample("Text: astral-plane characters alone", new Text("𝄞", "😀")));
    samples.add(
        new Sample(
            "Text: astral-plane characters mixed",
            new Text("a𝄞b😀c 👨‍👩‍👧 𠜎 \uD83C\uDDE9\uD83C\uDDEA", null)));
    samples.add(
        new Sample(
            "Text: characters that need escaping",
            new Text(
                "quote \" backslash \\ slash / nul \u0000 tab \t newline \n return \r bell \u0007"
                    + " del \u007f next-line \u0085 separators \u2028\u2029 bom \ufeff"
                    + " non-character \uffff",
                "{\"looks\":[\"like\",\"json\"]}")));
    samples.add(new Sample("Text: 300,000 characters", new Text("𝄞ab".repeat(75_000), "end")));

    Random random = new Random(0x7E7E_4B1DL);
    byte[] large = new byte[LARGE_BYTES];
    random.nextBytes(large);
    byte[] everyValue = new byte[256];
    for (int i = 0; i < everyValue.length; i++) {
      everyValue[i] = (byte) i;
    }
    samples.add(new Sample("Bytes: 0 bytes", new Bytes(new byte[0])));
    samples.add(new Sample("Bytes: null array", new Bytes(null)));
    samples.add(new Sample("Bytes: every byte value", new Bytes(everyValue)));
    samples.add(new Sample("Bytes: 4 MiB", new Bytes(large)));

    samples.add(
        new Sample(
            "Nested: records in records and in a list, a null nested record",
            new Nested(
                "route",
                new Point(1, -2, Color.RED),
                List.of(
                    new Point(0, 0, Color.GREEN),
                    new Point(Integer.MAX_VALUE, Integer.MIN_VALUE, Color.BLUE),
                    new Point(3, 4, null)),
                null)));
    samples.add(
        new Sample(
            "Nested: empty list and empty name",
            new Nested("", new Point(0, 0, null), List.of(), null)));
    samples.add(new Sample("Nested: every field null", new Nested(null, null, null, null)));

    samples.add(
        new Sample(
            "Collections: list, set, map and list of enums",
            new Collections(
                List.of("a", "", "ü𝄞"),
                linkedSet(Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE),
                linkedMap("zero", 0L, "min", Long.MIN_VALUE, "ключ 🔑", Long.MAX_VALUE),
                List.of(Color.BLUE, Color.RED, Color.BLUE))));
    samples.add(
        new Sample(
            "Collections: null elements and null values",
            new Collections(
                new ArrayList<>(Arrays.asList("x", null, "y")),
                linkedSet(7),
                linkedMap("present", 1L, "absent", null),
                new ArrayList<>(Arrays.asList(Color.GREEN, null)))));
    samples.add(
        new Sample(
            "Collections: single-element immutable Set.of and Map.of",
            new Collections(List.of("only"), Set.of(42), Map.of("one", 1L), List.of(Color.RED))));
    samples.add(
        new Sample(
            "Collections: all empty", new Collections(List.of(), Set.of(), Map.of(), List.of())));
    samples.add(
        new Sample("Collections: every field null", new Collections(null, null, null, null)));
    samples.add(new Sample("Collections: 10,000 elements each", largeCollections()));

    samples.add(new Sample("Circle: sealed member", new Circle(1.5)));
    samples.add(new Sample("Circle: negative zero radius", new Circle(-0.0)));
    samples.add(new Sample("Square: sealed member", new Square(2.0, Color.GREEN)));
    samples.add(
        new Sample("Square: infinite side, null enum", new Square(Double.POSITIVE_INFINITY, null)));

    samples.add(
        new Sample(
            "Temporal: Instant with nanoseconds, UUID",
            new Temporal(
                Instant.parse("2024-05-01T12:00:00.123456789Z"),
                UUID.fromString("123e4567-e89b-12d3-a456-426614174000"))));
    samples.add(
        new Sample(
            "Temporal: the nanosecond before the epoch, all-ones UUID",
            new Temporal(Instant.ofEpochSecond(-1, 999_999_999), new UUID(-1L, -1L))));
    samples.add(
        new Sample("Temporal: epoch, nil UUID", new Temporal(Instant.EPOCH, new UUID(0L, 0L))));
    samples.add(
        new Sample(
            "Temporal: Instant.MAX",
            new Temporal(Instant.MAX, new UUID(Long.MIN_VALUE, Long.MAX_VALUE))));
    samples.add(new Sample("Temporal: Instant.MIN", new Temporal(Instant.MIN, new UUID(1L, 2L))));
    samples.add(new Sample("Temporal: null fields", new Temporal(null, null)));

    samples.add(new Sample("Deep: one level", new Deep(null)));
    samples.add(new Sample("Deep: 32 levels", deep(32)));
    return List.copyOf(samples);
  }

  /** Returns {@code Deep} nested {@code levels} deep; built without recursion. */
  public static Deep deep(int levels) {
    Deep deep = null;
    for (int i = 0; i < levels; i++) {
      deep = new Deep(deep);
    }
    return deep;
  }

  private static Collections largeCollections() {
    List<String> names = new ArrayList<>();
    Set<Integer> ids = new LinkedHashSet<>();
    Map<String, Long> counts = new LinkedHashMap<>();
    List<Color> colors = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      names.add("name-" + i);
      ids.add(i * 7919 - 5_000_000);
      counts.put("k" + i, (long) i * i * i);
      colors.add(Color.values()[i % 3]);
    }
    return new Collections(names, ids, counts, colors);
  }

  @SafeVarargs
  private static <T> Set<T> linkedSet(T... elements) {
    Set<T> set = new LinkedHashSet<>();
    for (T element : elements) {
      set.add(element);
    }
    return set;
  }

  private static Map<String, Long> linkedMap(Object... keysAndValues) {
    Map<String, Long> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put((String) keysAndValues[i], (Long) keysAndValues[i + 1]);
    }
    return map;
  }
}
