package dev.tether.codec.fury;

import dev.tether.testing.FeatureMatrixContract;
import java.util.LinkedHashMap;
import java.util.Map;

/** Runs core's feature matrix against the {@code fury} codec. */
class FuryFeatureMatrixTest extends FeatureMatrixContract {
  @Override
  protected String codecName() {
    return "fury";
  }

  @Override
  protected Map<String, String> refusedCells() {
    Map<String, String> refused = new LinkedHashMap<>();
    refused.put("Set of records: 65 points sharing one hash code", "maxSameHashElements");
    refused.put(
        "nesting: 201 records in one another",
        "the message nests deeper than the limit of 200 levels");
    // Fory writes a BigDecimal's scale in fewer bits than an int and refuses the extremes.
    refused.put("BigDecimal: scale Integer.MAX_VALUE", "Decimal scale out of range");
    refused.put("BigDecimal: scale -Integer.MAX_VALUE", "Decimal scale out of range");
    refused.put("BigDecimal: scale Integer.MIN_VALUE", "Decimal scale out of range");
    return refused;
  }
}
