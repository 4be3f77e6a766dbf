package dev.tether.codec.kryo;

import dev.tether.testing.FeatureMatrixContract;
import java.util.LinkedHashMap;
import java.util.Map;

/** Runs core's feature matrix against the {@code kryo} codec. */
class KryoFeatureMatrixTest extends FeatureMatrixContract {
  @Override
  protected String codecName() {
    return "kryo";
  }

  @Override
  protected Map<String, String> refusedCells() {
    Map<String, String> refused = new LinkedHashMap<>();
    refused.put("Set of records: 65 points sharing one hash code", "maxSameHashElements");
    refused.put(
        "nesting: 201 records in one another",
        "the message nests deeper than the limit of 200 levels");
    return refused;
  }
}
