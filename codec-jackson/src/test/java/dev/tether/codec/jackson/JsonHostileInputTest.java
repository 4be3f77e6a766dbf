package dev.tether.codec.jackson;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.tether.testing.HostileInputContract;
import java.util.List;

/**
 * Runs core's hostile-input contract against the {@code json} codec. JSON has no length prefixes,
 * so its "declared length beyond the payload" is a value that opens and never closes.
 */
class JsonHostileInputTest extends HostileInputContract {
  @Override
  protected String codecName() {
    return "json";
  }

  @Override
  protected List<byte[]> oversizedLengthPayloads() {
    return List.of(
        utf8("{\"value\":\"abc"), // a string that never ends
        utf8("{\"data\":\"AAEC"), // base64 that never ends
        utf8("{\"names\":[\"a\",\"b\""), // an array that never ends
        utf8("{\"counts\":{\"k\":1"), // an object that never ends
        utf8("{\"value\":\"\\u00"), // an escape cut in the middle
        utf8("{\"name\":\"x\",\"path\":[{\"x\":1,\"y\":2},{\"x\":3")); // nested, cut
  }

  /** {@code {"inner":} 100,000 times, then null and as many closing braces. */
  @Override
  protected byte[] deeplyNestedPayload() {
    int levels = 100_000;
    return utf8("{\"inner\":".repeat(levels) + "null" + "}".repeat(levels));
  }

  /** What Jackson's default typing would send: a class name, then the value, as a pair. */
  @Override
  protected byte[] unregisteredClassPayload() {
    return utf8("[\"java.util.concurrent.ConcurrentHashMap\",{}]");
  }

  private static byte[] utf8(String s) {
    return s.getBytes(UTF_8);
  }
}
