package dev.tether.codec.jackson;

import dev.tether.testing.FeatureMatrixContract;
import java.util.LinkedHashMap;
import java.util.Map;

/** Runs core's feature matrix against the {@code cbor} codec. */
class CborFeatureMatrixTest extends FeatureMatrixContract {
  @Override
  protected String codecName() {
    return "cbor";
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
    // CBOR text must be valid UTF-8, so a lone surrogate cannot be written; numbers are binary and
    // unlimited.
    refused.put("primitives: a char that is a lone surrogate", "surrogate");
    refused.put("String: a lone high surrogate", "surrogate");
    refused.put("String: a lone low surrogate", "surrogate");
    return refused;
  }
}
