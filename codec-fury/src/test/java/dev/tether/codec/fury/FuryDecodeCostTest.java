package dev.tether.codec.fury;

import dev.tether.codec.CodecLimits;
import dev.tether.testing.ContractCodecs;
import dev.tether.testing.DecodeCostContract;
import dev.tether.testing.MatrixTypes.UntypedList;
import java.util.List;
import java.util.regex.Pattern;

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
            ForyPayloads.nestedLists(90, 16 << 20)),
        new Crafted(
            "a Pattern with CANON_EQ: one character and 13 combining marks",
            UntypedList.class,
            ForyPayloads.withCanonEq(
                ContractCodecs.encode(
                    codec(CodecLimits.defaults()),
                    new UntypedList(List.of(ForyPayloads.combiningMarks(13)))))),
        new Crafted(
            "a Pattern of 1,800 character names (\\N{...}), the costliest compile found",
            UntypedList.class,
            ContractCodecs.encode(
                codec(CodecLimits.defaults()),
                new UntypedList(
                    List.of(Pattern.compile("\\N{LATIN SMALL LETTER A}".repeat(1_800)))))));
  }
}
