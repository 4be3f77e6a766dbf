package dev.tether.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The table the outstanding requests live in, against a {@link HashMap} doing the same: random puts
 * and removals over keys that crowd a few slots (so that runs wrap around the table's end and
 * removals shift entries back across it), then every key looked up. It must also give its memory
 * back once it empties.
 */
class LongTableTest {
  @Test
  void agreesWithAHashMapThroughRandomPutsAndRemovals() {
    Random random = new Random(7);
    for (int trial = 0; trial < 50; trial++) {
      LongTable<String> table = new LongTable<>();
      Map<Long, String> model = new HashMap<>();
      Set<Long> touched = new HashSet<>();
      // few distinct keys in sequential, strided and random shapes, as request ids and worse
      int shape = trial % 3;
      int range = 8 + random.nextInt(300);
      for (int op = 0; op < 5_000; op++) {
        long key =
            switch (shape) {
              case 0 -> 1 + random.nextInt(range);
              case 1 -> (1 + random.nextInt(range)) * 1024L;
              default -> random.nextLong() % range;
            };
        touched.add(key);
        int what = random.nextInt(10);
        if (what < 5) {
          String value = "v" + op;
          assertThat(table.put(key, value)).isEqualTo(model.put(key, value));
        } else if (what < 8) {
          assertThat(table.remove(key)).isEqualTo(model.remove(key));
        } else {
          String held = model.get(key);
          boolean same = held != null && random.nextBoolean();
          String expected = same ? held : "other";
          assertThat(table.remove(key, same ? table.get(key) : expected))
              .isEqualTo(same && model.remove(key, held));
        }
        assertThat(table.size()).isEqualTo(model.size());
      }
      for (long key : touched) {
        assertThat(table.get(key)).as("key %d", key).isEqualTo(model.get(key));
      }
      assertThat(Arrays.stream(table.keys()).boxed().toList())
          .containsExactlyInAnyOrderElementsOf(model.keySet());
    }
  }

  @Test
  void aTableThatEmptiesAfterABurstGivesItsMemoryBack() {
    LongTable<Long> table = new LongTable<>();
    for (long id = 1; id <= 100_000; id++) {
      table.put(id, id);
    }
    assertThat(table.capacity()).isGreaterThanOrEqualTo(100_000 * 4 / 3);
    for (long id = 1; id <= 100_000; id++) {
      assertThat(table.remove(id)).isEqualTo(id);
    }
    assertThat(table.size()).isZero();
    assertThat(table.capacity()).isLessThanOrEqualTo(16);
    assertThat(table.get(5)).isNull();
    table.put(5, 5L);
    assertThat(table.get(5)).isEqualTo(5L);
  }
}
