package dev.tether.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecLimits;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * How deeply map keys may nest ({@link CodecLimits#maxKeyNesting()}), for a codec that carries a
 * map as the key of a map: keys are counted through every kind of map the codec carries, through
 * lists, sets, optionals and records; maps in values add no level; and the encoder and the decoder
 * draw the line at the same place. Each codec module that carries such keys runs it unchanged.
 */
public abstract class KeyNestingContract {
  /** Counts by label set, as a metrics registry keeps them: keys nest 2 deep. */
  public record LabelCounts(Map<Map<String, String>, Integer> counts) {}

  /** Keys of any class. */
  public record AnyKeys(Map<Object, String> names) {}

  /** A record that holds a map, used in a key. */
  public record Labels(Map<Object, String> labels) {}

  private static final MessageTypes TYPES =
      MessageTypes.builder("key-nesting")
          .register(1, "keys.LabelCounts", LabelCounts.class)
          .register(2, "keys.AnyKeys", AnyKeys.class)
          .nested(Labels.class)
          .build();

  private static final CodecLimits TWO = CodecLimits.defaults().withMaxKeyNesting(2);
  private static final CodecLimits UNLIMITED = CodecLimits.defaults().withMaxKeyNesting(1_000);

  /** Ways to put a value one map key deeper, each through another kind of map or container. */
  private static final Map<String, UnaryOperator<Object>> DEEPER = new LinkedHashMap<>();

  static {
    DEEPER.put("a HashMap", key -> new HashMap<>(Map.of(key, 1)));
    DEEPER.put("a LinkedHashMap", key -> new LinkedHashMap<>(Map.of(key, 1)));
    DEEPER.put("Map.of", key -> Map.of(key, 1, "other", 2));
    DEEPER.put("Collections.singletonMap", key -> Collections.singletonMap(key, null));
    DEEPER.put("a list", key -> List.of(Map.of(key, 1)));
    DEEPER.put("a set and an optional", key -> Set.of(Optional.of(Map.of(key, 1))));
    DEEPER.put("a record", key -> new Labels(Map.of(key, "x")));
  }

  /** Returns the name (or an alias) under which the codec under test is registered. */
  protected abstract String codecName();

  private Codec codec(CodecLimits limits) {
    return ContractCodecs.codec(codecName(), TYPES, limits);
  }

  @Test
  void carriesMapsKeyedByMapsWithTheDefaultLimit() {
    Map<Map<String, String>, Integer> counts = new HashMap<>();
    counts.put(Map.of("method", "GET", "status", "200"), 41);
    counts.put(Map.of("method", "PUT", "status", "503"), 2);
    counts.put(new TreeMap<>(Map.of("method", "GET")), 7);
    LabelCounts message = new LabelCounts(counts);
    LabelCounts single = new LabelCounts(Collections.singletonMap(Map.of("method", "GET"), 1));
    AnyKeys singleKeyed = new AnyKeys(Collections.singletonMap(Map.of("k", 1), "name"));

    for (Object sent : List.of(message, single, singleKeyed)) {
      Object received = ContractCodecs.roundTrip(codec(CodecLimits.defaults()), sent);
      assertThat(received).isEqualTo(sent);
    }
    assertThat(((LabelCounts) ContractCodecs.roundTrip(codec(TWO), single)).counts())
        .as("a singletonMap in a field declared Map comes back as one")
        .isExactlyInstanceOf(Collections.singletonMap(1, 1).getClass());
  }

  @Test
  void countsKeysThroughEveryKindOfMapAndContainerOnBothEnds() {
    for (Map.Entry<String, UnaryOperator<Object>> deeper : DEEPER.entrySet()) {
      // In the message's own map, a key "leaf" is at level 1; each step puts it one deeper.
      AnyKeys atTwo = new AnyKeys(Map.of(deeper.getValue().apply("leaf"), "name"));
      AnyKeys atThree =
          new AnyKeys(Map.of(deeper.getValue().apply(new TreeMap<>(Map.of("leaf", 1))), "name"));

      assertThat(ContractCodecs.roundTrip(codec(TWO), atTwo))
          .as("keys 2 deep through %s", deeper.getKey())
          .isEqualTo(atTwo);
      assertThatThrownBy(() -> ContractCodecs.encode(codec(TWO), atThree))
          .as("keys 3 deep through %s", deeper.getKey())
          .isExactlyInstanceOf(CodecException.class)
          .hasMessageContaining(AnyKeys.class.getName())
          .hasMessageContaining("map keys nest 3 deep")
          .hasMessageContaining("maxKeyNesting");
      byte[] fromUnlimitedPeer = ContractCodecs.encode(codec(UNLIMITED), atThree);
      for (BufferLayout layout : List.of(BufferLayout.HEAP, BufferLayout.DIRECT)) {
        assertThatThrownBy(() -> codec(TWO).decode(AnyKeys.class, layout.place(fromUnlimitedPeer)))
            .as(
                "keys 3 deep through %s, from a peer without the limit, %s",
                deeper.getKey(), layout)
            .isExactlyInstanceOf(CodecException.class)
            .hasMessageContaining(AnyKeys.class.getName())
            .hasMessageContaining("map keys nest 3 deep")
            .hasMessageContaining("maxKeyNesting");
      }
    }
  }

  @Test
  void doesNotCountMapsNestedInValues() {
    // A key whose map holds maps 50 deep in its values: every key in it is at level 2.
    Object values = "leaf";
    for (int i = 0; i < 50; i++) {
      values = Map.of("level " + i, values);
    }
    AnyKeys message = new AnyKeys(Map.of(values, "name"));

    assertThat(ContractCodecs.roundTrip(codec(TWO), message)).isEqualTo(message);
  }
}
