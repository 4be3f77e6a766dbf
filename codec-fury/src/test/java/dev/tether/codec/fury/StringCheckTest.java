package dev.tether.codec.fury;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.apache.fory.serializer.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * {@link StringCheck} finds a string Fory built in a form the JVM never makes wherever a message
 * can hold one. The bad strings here are made as Fory makes them, around UTF-16 bytes.
 */
class StringCheckTest {
  record Inner(String text) {}

  record Chain(Chain next, String text) {}

  sealed interface Shape permits Named, Plain {}

  record Named(String name) implements Shape {}

  record Plain(int x) implements Shape {}

  record Holder(
      int n,
      Inner inner,
      List<Inner> list,
      Set<String> set,
      Map<String, Integer> keys,
      Map<Integer, Object> values,
      Object any,
      String[] array,
      Inner[] records,
      Optional<String> optional,
      Shape shape,
      Chain chain,
      Bean bean) {}

  static class Bean {
    CharSequence text;
  }

  record NoStrings(long a, byte[] b, Integer c, java.time.LocalDate d, Plain e) {}

  private final StringCheck check = new StringCheck();

  /** Latin-1 text in a UTF-16 String, as Fory 1.6 reads it from UTF-16 or UTF-8 bytes. */
  private static String unsound(String text) {
    assertThat(StringCheck.COMPACT_STRINGS).as("these tests run with compact strings").isTrue();
    String made =
        StringSerializer.newBytesStringZeroCopy((byte) 1, text.getBytes(StandardCharsets.UTF_16LE));
    assertThat(made.toCharArray()).as("the same characters").isEqualTo(text.toCharArray());
    assertThat(made.equals(text)).as("yet is not equal").isFalse();
    return made;
  }

  /** A holder of sound strings, with one place set by {@code put} to the given string. */
  private static Holder holder(String s, int place) {
    Bean bean = new Bean();
    bean.text = place == 12 ? s : "bean";
    return new Holder(
        1,
        new Inner(place == 0 ? s : "inner"),
        List.of(new Inner("x"), new Inner(place == 1 ? s : "y")),
        new LinkedHashSet<>(List.of("a", place == 2 ? s : "b")),
        new HashMap<>(Map.of(place == 3 ? s : "k", 1)),
        new HashMap<>(Map.of(1, place == 4 ? s : "v")),
        place == 5 ? s : "any",
        new String[] {"p", place == 6 ? s : "q"},
        new Inner[] {null, new Inner(place == 7 ? s : "r")},
        Optional.of(place == 8 ? s : "o"),
        new Named(place == 9 ? s : "n"),
        new Chain(new Chain(new Chain(null, place == 10 ? s : "c"), "b"), "a"),
        place == 11 ? null : bean);
  }

  @Test
  void findsAnUnsoundStringWhereverItIs() {
    for (int place = 0; place <= 12; place++) {
      if (place == 11) {
        continue; // the bean is null there
      }
      assertThat(check.check(holder(unsound("abc"), place))).as("place %d", place).isNotNull();
    }
    assertThat(check.check(unsound("abc"))).as("the message itself").isNotNull();
    assertThat(check.check(new Inner(unsound("")))).as("empty").contains("Latin-1 characters");
  }

  @Test
  void passesSoundStrings() {
    for (int place = 0; place <= 12; place++) {
      assertThat(check.check(holder("caf\u00e9", place))).isNull();
      assertThat(check.check(holder("\u4e00 needs UTF-16", place))).isNull();
      assertThat(check.check(holder("ends in \ud83d\ude00", place))).isNull();
    }
    assertThat(
            check.check(
                new Holder(
                    0, null, null, null, null, null, null, null, null, null, null, null, null)))
        .isNull();
    assertThat(check.check(new NoStrings(1, new byte[3], 2, null, new Plain(3)))).isNull();
  }

  @Test
  void judgesEachStringByTheFormItsCharactersNeed() {
    assertThat(StringCheck.isSound("")).isTrue();
    assertThat(StringCheck.isSound("\u00ff")).isTrue();
    assertThat(StringCheck.isSound("\u0100")).isTrue();
    String latin1Then = "x".repeat(1000) + "\u0100";
    assertThat(StringCheck.isSound(latin1Then)).isTrue();
    Function<String, Boolean> made =
        text ->
            StringCheck.isSound(
                StringSerializer.newBytesStringZeroCopy(
                    (byte) 1, text.getBytes(StandardCharsets.UTF_16LE)));
    assertThat(made.apply(latin1Then)).as("UTF-16 that must be").isTrue();
    assertThat(made.apply("x".repeat(1000) + "\u00ff")).isFalse();
    assertThat(made.apply("\u00ff")).isFalse();
  }

  @Test
  void walksLargeCollectionsAndDeepChains() {
    List<Object> many = new ArrayList<>(Arrays.asList(new Object[100_000]));
    for (int i = 0; i < many.size(); i++) {
      many.set(i, i % 2 == 0 ? Integer.valueOf(i) : "s" + i);
    }
    assertThat(check.check(many)).isNull();
    many.set(99_999, unsound("last"));
    assertThat(check.check(many)).isNotNull();

    Chain chain = new Chain(null, unsound("deep"));
    for (int i = 0; i < 150; i++) {
      chain = new Chain(chain, "up");
    }
    assertThat(check.check(chain)).isNotNull();
  }
}
