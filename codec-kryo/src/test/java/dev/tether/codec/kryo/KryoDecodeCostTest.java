package dev.tether.codec.kryo;

import dev.tether.testing.DecodeCostContract;
import dev.tether.testing.MatrixTypes.Untyped;
import dev.tether.testing.MatrixTypes.UntypedList;
import java.util.List;

/**
 * Runs core's decode-cost and one-limit contract against the {@code kryo} codec, with Kryo's own
 * hostile payloads: containers nested in one another's first slot, each declaring as many elements
 * as bytes remain.
 */
class KryoDecodeCostTest extends DecodeCostContract {
  @Override
  protected String codecName() {
    return "kryo";
  }

  @Override
  protected List<Crafted> craftedPayloads() {
    return List.of(
        new Crafted(
            "ArrayLists nested 190 deep, each declaring every byte left (263 KB)",
            UntypedList.class,
            HostilePayloads.nestedPresized(HostilePayloads.ARRAY_LIST_CLASS, 190, 263_000)),
        new Crafted(
            "Object[]s nested 190 deep, each declaring every byte left (263 KB)",
            Untyped.class,
            HostilePayloads.nestedPresized(HostilePayloads.OBJECT_ARRAY_CLASS, 190, 263_000)),
        new Crafted(
            "HashSets nested 190 deep, each declaring every byte left (263 KB)",
            Untyped.class,
            HostilePayloads.nestedPresized(HostilePayloads.HASH_SET_CLASS, 190, 263_000)),
        new Crafted(
            "ArrayLists nested 190 deep, each declaring every byte left (16 MiB)",
            UntypedList.class,
            HostilePayloads.nestedPresized(HostilePayloads.ARRAY_LIST_CLASS, 190, 16 << 20)));
  }
}
