package dev.tether.codec.fury;

import dev.tether.testing.DecodeCostContract;
import dev.tether.testing.MatrixTypes.UntypedList;
import java.util.List;

/** Runs core's decode-cost and one-limit contract against the {@code fury} codec. */
class FuryDecodeCostTest extends DecodeCostContract {
  @Override
  protected String codecName() {
    return "fury";
  }

  @Override
  protected List<Crafted> craftedPayloads() {
    return List.of(
        new Crafted(
            "ArrayLists nested 90 deep, each declaring every byte left (263 KB)",
            UntypedList.class,
            ForyPayloads.nestedLists(90, 263_000)),
        new Crafted(
            "ArrayLists nested 90 deep, each declaring every byte left (16 MiB)",
            UntypedList.class,
            ForyPayloads.nestedLists(90, 16 << 20)));
  }
}
