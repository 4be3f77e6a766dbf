package dev.tether.codec.jackson;

import dev.tether.testing.FeatureMatrixContract;
import java.util.LinkedHashMap;
import java.util.Map;

/** Runs core's feature matrix against the {@code json} codec. */
class JsonFeatureMatrixTest extends FeatureMatrixContract {
  @Override
  protected String codecName() {
    return "json";
  }

  @Override
  protected Map<String, String> refusedCells() {
    Map<String, String> refused = new LinkedHashMap<>();
    refused.put("Set of records: 65 points sharing one hash code", "maxSameHashElements");
    refused.put("Map with record keys: two keys", "would not be read back as the same value");
    refused.put("Optional: a null Optional field", "an Optional is null");
    refused.put("field declared Object: a Long", "declared Object holds a java.lang.Long");
    refused.put(
        "field declared Object: a record",
        "declared Object holds a dev.tether.testing.MatrixTypes$Point");
    refused.put("List<Object>: a Long element", "declared Object holds a java.lang.Long");
    refused.put(
        "field declared as a sealed interface: a Circle",
        "nothing in the payload can say which class to build");
    refused.put(
        "field declared as a sealed interface: a Square",
        "nothing in the payload can say which class to build");
    refused.put("nesting: 201 records in one another", "exceeds the maximum allowed (200");
    // JSON writes a lone surrogate as an escape that Java reads back, and limits numbers to 256
    // digits.
    refused.put("BigDecimal: 257 digits", "a number of 257 digits is longer than the limit of 256");
    refused.put("BigInteger: 257 digits", "a number of 257 digits is longer than the limit of 256");
    refused.put(
        "BigDecimal: scale Integer.MIN_VALUE", "the number 1E+2147483648 cannot be read back");
    return refused;
  }
}
