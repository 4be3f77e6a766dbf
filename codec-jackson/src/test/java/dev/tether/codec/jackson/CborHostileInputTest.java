package dev.tether.codec.jackson;

import static dev.tether.codec.jackson.Codecs.concat;
import static dev.tether.codec.jackson.Codecs.hex;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.tether.testing.HostileInputContract;
import java.util.List;

/** Runs core's hostile-input contract against the {@code cbor} codec. */
class CborHostileInputTest extends HostileInputContract {
  private static final byte[] VALUE = hex("a1 65 76616c7565"); // map of 1 pair, text(5) "value"
  private static final byte[] DATA = hex("a1 64 64617461"); // map of 1 pair, text(4) "data"
  private static final byte[] NAMES = hex("a1 65 6e616d6573"); // map of 1 pair, text(5) "names"

  @Override
  protected String codecName() {
    return "cbor";
  }

  @Override
  protected List<byte[]> oversizedLengthPayloads() {
    return List.of(
        concat(DATA, hex("5a 7fffffff 010203")), // bytes, 4-byte length 2^31-1, then 3 bytes
        concat(DATA, hex("5a 80000000 010203")), // bytes, 4-byte length 2^31
        concat(DATA, hex("5a 00ffffff 010203")), // bytes, 4-byte length 2^24-1
        concat(DATA, hex("5b 7fffffffffffffff 010203")), // bytes, 8-byte length 2^63-1
        concat(DATA, hex("5b ffffffffffffffff 010203")), // bytes, 8-byte length 2^64-1
        concat(VALUE, hex("7a 7fffffff 616263")), // text, 4-byte length 2^31-1, then "abc"
        concat(VALUE, hex("7a 00ffffff 616263")), // text of 2^24-1, inside the string limit
        concat(VALUE, hex("7b ffffffffffffffff 616263")), // text, 8-byte length 2^64-1
        concat(NAMES, hex("9a 7fffffff 6161 6161 6161")), // array of 2^31-1, then 3 × "a"
        concat(NAMES, hex("9b ffffffffffffffff 6161")), // array, 8-byte count 2^64-1
        hex("ba 7fffffff 65 76616c7565 61 61"), // map of 2^31-1 pairs, then "value": "a"
        hex("a1 7a 7fffffff 6162")); // map of 1 pair whose key declares 2^31-1 bytes
  }

  /** {@code {"inner":} 100,000 times, then null: map(1), text(5) "inner", ..., simple(22). */
  @Override
  protected byte[] deeplyNestedPayload() {
    byte[] level = hex("a1 65 696e6e6572");
    int levels = 100_000;
    byte[] payload = new byte[level.length * levels + 1];
    for (int i = 0; i < levels; i++) {
      System.arraycopy(level, 0, payload, i * level.length, level.length);
    }
    payload[payload.length - 1] = (byte) 0xf6; // null
    return payload;
  }

  /** {@code ["java.util.concurrent.ConcurrentHashMap", {}]}, as default typing would send it. */
  @Override
  protected byte[] unregisteredClassPayload() {
    byte[] name = "java.util.concurrent.ConcurrentHashMap".getBytes(UTF_8);
    return concat(
        hex("82"), // array of 2
        hex("78"), // text with a 1-byte length...
        new byte[] {(byte) name.length}, // ...of 38
        name,
        hex("a0")); // map of 0 pairs
  }
}
