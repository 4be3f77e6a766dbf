package dev.tether.codec.jackson;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Message records shared by the tests. */
final class Messages {
  private Messages() {}

  /** The echo message of PROTOCOL.md §10. */
  record Echo(String text, long seq) {}

  enum Color {
    RED,
    GREEN
  }

  record Point(int x, int y, Color color) {}

  record Tree(String label, List<Tree> children) {}

  /** A message of every kind of value the data model promises to carry. */
  record Everything(
      String ascii,
      String empty,
      String missing,
      String nonAscii,
      String astral,
      long min,
      long max,
      int negative,
      short small,
      double nan,
      double negativeZero,
      double infinity,
      float ratio,
      boolean flag,
      Boolean boxedNull,
      byte[] noBytes,
      byte[] bytes,
      byte[] nullBytes,
      Instant at,
      Duration took,
      UUID id,
      Color color,
      Point point,
      Tree tree,
      List<Point> points,
      List<String> withNulls,
      Map<String, Point> byName,
      Map<String, List<Integer>> nested) {}

  record Ping() {}

  record Blob(byte[] data) {}

  record Holder(Object value) {}

  record Numbers(List<Object> items) {}

  record Stamp(Instant at, Duration took, UUID id, byte[] data, double ratio, Color color) {}

  record Positive(int value) {
    Positive {
      if (value < 0) {
        throw new IllegalArgumentException("value must be >= 0, was " + value);
      }
    }
  }

  /** Encoding it fails: its accessor throws. */
  record Exploding(String text) {
    @Override
    public String text() {
      throw new IllegalStateException("accessor exploded");
    }
  }
}
