package dev.tether.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link DeepEquals}, which the codecs' fuzz tests judge a round trip by. */
class DeepEqualsTest {
  /** Every instance in one hash bucket. */
  record Colliding(int n) implements Comparable<Colliding> {
    @Override
    public int hashCode() {
      return 1;
    }

    @Override
    public int compareTo(Colliding other) {
      return Integer.compare(n, other.n);
    }
  }

  @Test
  void mapsWithTheSameEntriesAreEqualWhateverNodesHoldThem() {
    Map<Colliding, String> tree = new HashMap<>(128); // a full bucket becomes a tree here
    Map<Colliding, String> plain = new HashMap<>(16); // and makes the table grow here instead
    for (int i = 0; i < 10; i++) {
      tree.put(new Colliding(i), "v" + i);
      plain.put(new Colliding(i), "v" + i);
    }
    assertThat(tree.entrySet().iterator().next().getClass())
        .isNotEqualTo(plain.entrySet().iterator().next().getClass());
    assertThat(DeepEquals.deepEquals(tree, plain)).isTrue();
    plain.put(new Colliding(3), "other");
    assertThat(DeepEquals.deepEquals(tree, plain)).isFalse();
  }

  @Test
  void comparesArraysAtomicsAndCollectionsByContent() {
    assertThat(DeepEquals.deepEquals(List.of(new byte[] {1, 2}), List.of(new byte[] {1, 2})))
        .isTrue();
    assertThat(DeepEquals.deepEquals(Set.of(new int[] {1}), Set.of(new int[] {2}))).isFalse();
    assertThat(DeepEquals.deepEquals(new AtomicBoolean(true), new AtomicBoolean(true))).isTrue();
    assertThat(DeepEquals.deepEquals(new AtomicLong(1), new AtomicLong(2))).isFalse();
    assertThat(
            DeepEquals.deepEquals(
                new ArrayDeque<>(List.of("a", "b")), new ArrayDeque<>(List.of("a", "b"))))
        .isTrue();
    assertThat(DeepEquals.deepEquals(new ArrayList<>(List.of("a")), List.of("a")))
        .as("another class")
        .isFalse();
  }
}
