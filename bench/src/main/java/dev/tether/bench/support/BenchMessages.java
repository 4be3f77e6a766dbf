package dev.tether.bench.support;

import dev.tether.MessageTypes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The messages the benchmarks send, and their registries. */
public final class BenchMessages {
  private BenchMessages() {}

  /** Small: a record of 3 fields. */
  public record Small(long id, int kind, String name) {}

  /** Nested inside {@link Medium}. */
  public record Item(long sku, int quantity, double price) {}

  /** Medium: a record of 10 fields with a list of 5 nested records. */
  public record Medium(
      long id,
      long timestamp,
      String user,
      String region,
      int version,
      boolean urgent,
      double score,
      String status,
      long sequence,
      List<Item> items) {}

  /** Large: a 64 KiB byte array with metadata. */
  public record Large(long id, String name, String contentType, byte[] data) {}

  /** The throughput and latency payload: a sequence number and a body of the chosen size. */
  public record Payload(long seq, byte[] body) {}

  /** Registry of every benchmark message; the same on both sides. */
  public static final MessageTypes TYPES =
      MessageTypes.builder("tether-bench")
          .register(1, "bench.Small", Small.class)
          .register(2, "bench.Medium", Medium.class)
          .register(3, "bench.Large", Large.class)
          .register(4, "bench.Payload", Payload.class)
          .nested(Item.class)
          .build();

  /** Registry for the pass-through {@code bytes} codec, which carries only byte arrays. */
  public static final MessageTypes RAW_TYPES =
      MessageTypes.builder("tether-bench-raw").register(1, "bench.Raw", byte[].class).build();

  public static Small small() {
    return new Small(42L, 7, "sensor-17");
  }

  public static Medium medium() {
    List<Item> items = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      items.add(new Item(1000L + i, i + 1, 9.99 * (i + 1)));
    }
    return new Medium(
        123456789L,
        1_700_000_000_000L,
        "alice@example.com",
        "eu-west-1",
        3,
        true,
        0.875,
        "SHIPPED",
        77L,
        items);
  }

  public static Large large() {
    byte[] data = new byte[64 * 1024];
    Arrays.fill(data, (byte) 7);
    return new Large(9L, "blob-9", "application/octet-stream", data);
  }

  /** Returns the sample message of the given size name: small, medium or large. */
  public static Object sample(String size) {
    return switch (size) {
      case "small" -> small();
      case "medium" -> medium();
      case "large" -> large();
      default -> throw new IllegalArgumentException("unknown message size " + size);
    };
  }
}
