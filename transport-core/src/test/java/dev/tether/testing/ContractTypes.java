package dev.tether.testing;

import dev.tether.MessageTypes;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The messages of the codec contract: every shape a codec must carry. Both the registry and the
 * records are shared by all codec modules, so that each runs the same contract unchanged.
 */
public final class ContractTypes {
  private ContractTypes() {}

  /** Primitive and boxed extremes. */
  public record Scalars(
      boolean flag,
      byte b,
      short s,
      char c,
      int i,
      long l,
      float f,
      double d,
      Integer boxedInt,
      Long boxedLong,
      Double boxedDouble) {}

  /** Strings of every kind, including null. */
  public record Text(String value, String nullable) {}

  /** A byte array of any size, including empty. */
  public record Bytes(byte[] data) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Bytes other && java.util.Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(data);
    }

    @Override
    public String toString() {
      return "Bytes[" + (data == null ? "null" : data.length + " bytes") + "]";
    }
  }

  /** An enum used inside messages. */
  public enum Color {
    RED,
    GREEN,
    BLUE
  }

  /** A record used only inside other messages. */
  public record Point(int x, int y, Color color) {}

  /** Nested records, lists of records, and a null nested record. */
  public record Nested(String name, Point origin, List<Point> path, Point missing) {}

  /** Collections of several kinds. */
  public record Collections(
      List<String> names, Set<Integer> ids, Map<String, Long> counts, List<Color> colors) {}

  /** A sealed hierarchy: each permitted record is registered as its own message type. */
  public sealed interface Shape permits Circle, Square {}

  /** One kind of {@link Shape}. */
  public record Circle(double radius) implements Shape {}

  /** Another kind of {@link Shape}. */
  public record Square(double side, Color color) implements Shape {}

  /** Time and identity types; only for codecs that declare support for them. */
  public record Temporal(Instant at, UUID id) {}

  /** A list that nests itself, for depth-limit tests: {@code Deep(Deep(Deep(...)))}. */
  public record Deep(Deep inner) {}

  /** The registry: ids 1..9 for messages; the rest registered as nested classes. */
  public static final MessageTypes TYPES =
      MessageTypes.builder("tether-contract")
          .register(1, "contract.Scalars", Scalars.class)
          .register(2, "contract.Text", Text.class)
          .register(3, "contract.Bytes", Bytes.class)
          .register(4, "contract.Nested", Nested.class)
          .register(5, "contract.Collections", Collections.class)
          .register(6, "contract.Circle", Circle.class)
          .register(7, "contract.Square", Square.class)
          .register(8, "contract.Temporal", Temporal.class)
          .register(9, "contract.Deep", Deep.class)
          .nested(Point.class, Color.class)
          .build();
}
