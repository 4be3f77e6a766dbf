package dev.tether.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class CodecLimitsTest {
  /** Every instance has the same hashCode and none equals another. */
  record Colliding(int id) {
    @Override
    public int hashCode() {
      return 42;
    }
  }

  private static final CodecLimits FOUR = CodecLimits.defaults().withMaxSameHashElements(4);

  @Test
  void defaultsAreTheDocumentedOnes() {
    CodecLimits limits = CodecLimits.defaults();

    assertThat(limits.maxDepth()).isEqualTo(200);
    assertThat(limits.maxElements()).isEqualTo(1 << 20);
    assertThat(limits.maxSameHashElements()).isEqualTo(64);
    assertThat(limits.maxKeyNesting()).isEqualTo(4);
    assertThat(new CodecLimits(200, 1 << 20, 64)).isEqualTo(limits);
  }

  @Test
  void refusesLimitsThatCannotWork() {
    assertThatThrownBy(() -> new CodecLimits(1, 10, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxDepth must be at least 2, not 1");
    assertThatThrownBy(() -> new CodecLimits(10, 0, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxElements must be at least 1, not 0");
    assertThatThrownBy(() -> new CodecLimits(10, 10, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxSameHashElements must be at least 1, not 0");
    assertThatThrownBy(() -> new CodecLimits(10, 10, 10, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxKeyNesting must be at least 1, not 0");
  }

  @Test
  void acceptsKeysNestedToTheLimitAndSaysWhyOneLevelMoreIsRefused() {
    CodecLimits two = CodecLimits.defaults().withMaxKeyNesting(2);

    assertThat(two.keyNestedTooDeep(2, "java.util.HashMap")).isNull();
    assertThat(two.keyNestedTooDeep(3, "java.util.HashMap"))
        .isEqualTo(
            "map keys nest 3 deep (maps inside the keys of maps) in java.util.HashMap, more than"
                + " the limit of 2 (CodecLimits.maxKeyNesting): comparing keys nested that deep"
                + " costs time that doubles with each level");
  }

  @Test
  void acceptsExactlyTheLimitOfElementsSharingAHash() {
    assertThat(FOUR.sameHashViolation(colliding(4, 0), 4, "java.util.HashSet")).isNull();
    assertThat(FOUR.sameHashViolation(colliding(4, 100), 104, "java.util.HashSet")).isNull();
  }

  @Test
  void refusesOneMoreElementSharingAHashAndSaysWhy() {
    String violation = FOUR.sameHashViolation(colliding(5, 3), 8, "java.util.HashSet");

    assertThat(violation)
        .isEqualTo(
            "java.util.HashSet of 8 elements holds 5 that share the hashCode 42, more than the"
                + " limit of 4 (CodecLimits.maxSameHashElements): a hash table inserts such"
                + " elements in quadratic time");
  }

  @Test
  void onlyLooksAtTheFirstCountElements() {
    Object[] elements = colliding(10, 0);
    elements[4] = "five";
    elements[5] = "six";

    assertThat(FOUR.sameHashViolation(elements, 6, "set")).isNull();
    assertThat(FOUR.sameHashViolation(elements, 7, "set")).contains("holds 5 that share");
  }

  @Test
  void ignoresNullsEnumsAndJdkClassesThatHashMapOrders() {
    Object[] strings = {"Aa", "BB", "AaAa", "AaBB", "BBAa", "BBBB", "C#", "Aa"}; // hashes collide
    Object[] nulls = new Object[10];
    Object[] enums = {
      Thread.State.NEW, Thread.State.NEW, Thread.State.NEW, Thread.State.NEW, Thread.State.NEW
    };

    assertThat(FOUR.sameHashViolation(strings, strings.length, "set")).isNull();
    assertThat(FOUR.sameHashViolation(nulls, nulls.length, "set")).isNull();
    assertThat(FOUR.sameHashViolation(enums, enums.length, "set")).isNull();
  }

  @Test
  void countsJdkClassesThatHashMapCannotOrder() {
    // LocalDate is Comparable<ChronoLocalDate>, not Comparable<LocalDate>: HashMap cannot order
    // it, so five equal dates (the same hash) count as five.
    Object[] dates = new Object[5];
    java.util.Arrays.fill(dates, LocalDate.of(2024, 5, 1));
    Object[] uuids = new Object[5];
    java.util.Arrays.fill(uuids, new UUID(1, 2));

    assertThat(FOUR.sameHashViolation(dates, 5, "set")).contains("holds 5 that share");
    assertThat(FOUR.sameHashViolation(uuids, 5, "set")).isNull();
  }

  @Test
  void reportsTooManyElementsOnlyPastTheLimit() {
    CodecLimits three = CodecLimits.defaults().withMaxElements(3);

    assertThat(three.tooManyElements(3, "java.util.ArrayList")).isNull();
    assertThat(three.tooManyElements(4, "java.util.ArrayList"))
        .isEqualTo(
            "java.util.ArrayList holds 4 elements, more than the limit of 3"
                + " (CodecLimits.maxElements)");
  }

  @Test
  void checksFiftyThousandCollidingElementsQuickly() {
    Object[] elements = colliding(50_000, 0);
    CodecLimits limits = CodecLimits.defaults();

    long start = System.nanoTime();
    String violation = limits.sameHashViolation(elements, elements.length, "java.util.HashSet");
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertThat(violation).contains("holds 50000 that share the hashCode 42");
    assertThat(millis).as("milliseconds to check 50,000 elements").isLessThan(500);
  }

  /** {@code colliding} elements that share hash 42, then {@code others} with distinct hashes. */
  private static Object[] colliding(int colliding, int others) {
    List<Object> elements = new ArrayList<>();
    for (int i = 0; i < colliding; i++) {
      elements.add(new Colliding(i));
    }
    for (int i = 0; i < others; i++) {
      elements.add(List.of(i * 7919)); // a List's hash is 31 + its element's
    }
    return elements.toArray();
  }
}
