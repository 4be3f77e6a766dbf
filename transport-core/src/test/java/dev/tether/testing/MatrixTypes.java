package dev.tether.testing;

import dev.tether.MessageTypes;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The messages of the feature matrix ({@link FeatureMatrixContract}) and of the decode-cost
 * contract ({@link DecodeCostContract}): one record per feature, so that a codec that cannot carry
 * a feature is seen to refuse exactly that one. Shared by every codec module, like {@link
 * ContractTypes}.
 */
public final class MatrixTypes {
  private MatrixTypes() {}

  /** An enum used inside messages. */
  public enum Tone {
    LOW,
    MID,
    HIGH
  }

  /** A record used inside other messages; its hash is that of its components. */
  public record Point(int x, int y, Tone tone) {}

  /** Every primitive type. */
  public record Primitives(boolean z, byte b, short s, char c, int i, long l, float f, double d) {}

  /** Every boxed type, each possibly null. */
  public record Boxes(
      Boolean z, Byte b, Short s, Character c, Integer i, Long l, Float f, Double d) {}

  /** One string. */
  public record Text(String value) {}

  /** One byte array. */
  public record Binary(byte[] data) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Binary other && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(data);
    }

    @Override
    public String toString() {
      return "Binary[" + (data == null ? "null" : data.length + " bytes") + "]";
    }
  }

  /** One enum value. */
  public record Enumerated(Tone tone) {}

  /** Records inside records. */
  public record Outer(String name, Point at, Inner inner) {}

  /** A record holding records, inside {@link Outer}. */
  public record Inner(Point from, Point to) {}

  /** Lists of scalars. */
  public record Lists(List<String> strings, List<Integer> ints) {}

  /** Sets of scalars. */
  public record Sets(Set<String> strings, Set<Integer> ints) {}

  /** A map with string keys. */
  public record Maps(Map<String, Integer> byName) {}

  /** A set of records: elements whose class {@code HashMap} cannot order on collisions. */
  public record RecordSet(Set<Point> points) {}

  /** A map with record keys. */
  public record RecordKeys(Map<Point, String> names) {}

  /**
   * A record whose hash comes from a list it holds. Tests build sets of thousands of tags that
   * share one hash code cheaply: each tag is hashed while its list still differs, and the list is
   * changed afterwards (see {@link FeatureMatrix#tagsSharingOneHash}).
   */
  public record Tag(List<Integer> parts) {}

  /** A set of {@link Tag}s. */
  public record TagSet(Set<Tag> tags) {}

  /** A map with {@link Tag} keys. */
  public record TagKeys(Map<Tag, String> names) {}

  /** An {@code EnumSet}, declared as one. */
  public record Tones(EnumSet<Tone> tones) {}

  /** Optionals. */
  public record Optionals(Optional<String> text, Optional<Point> point) {}

  /** A UUID. */
  public record Id(UUID id) {}

  /** A decimal. */
  public record Decimal(BigDecimal value) {}

  /** A big integer. */
  public record Big(BigInteger value) {}

  /** An instant. */
  public record Moment(Instant at) {}

  /** A duration. */
  public record Span(Duration length) {}

  /** A date-time with a time zone. */
  public record Zoned(ZonedDateTime at) {}

  /** A date-time with an offset. */
  public record Offset(OffsetDateTime at) {}

  /** Local date, time and date-time. */
  public record Local(LocalDate date, LocalTime time, LocalDateTime dateTime) {}

  /** An array of records. */
  public record PointArray(Point[] points) {
    @Override
    public boolean equals(Object o) {
      return o instanceof PointArray other && Arrays.equals(points, other.points);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(points);
    }

    @Override
    public String toString() {
      return "PointArray" + Arrays.toString(points);
    }
  }

  /** Fields of every kind that may be null. */
  public record Nullable(
      String text,
      Integer number,
      Point point,
      List<String> list,
      Map<String, Integer> map,
      Tone tone,
      Instant at,
      UUID id,
      BigDecimal decimal) {}

  /** A field declared {@code Object}: the runtime class is all a codec has to go on. */
  public record Untyped(Object value) {}

  /** A list whose elements are declared {@code Object}. */
  public record UntypedList(List<Object> values) {}

  /** A sealed interface over records, used as a field's declared type. */
  public sealed interface Shape permits Circle, Square {}

  /** One kind of {@link Shape}. */
  public record Circle(double radius) implements Shape {}

  /** Another kind of {@link Shape}. */
  public record Square(double side) implements Shape {}

  /** A field declared as an interface. */
  public record Drawing(Shape shape) {}

  /** A record that nests itself: {@code Chain(Chain(Chain(null)))}. */
  public record Chain(Chain next) {}

  /** A tree whose children are in a typed list. */
  public record Tree(List<Tree> children) {}

  /** The registry: every record above is a message type; the rest are found from them. */
  public static final MessageTypes TYPES =
      MessageTypes.builder("tether-matrix")
          .register(1, "matrix.Primitives", Primitives.class)
          .register(2, "matrix.Boxes", Boxes.class)
          .register(3, "matrix.Text", Text.class)
          .register(4, "matrix.Binary", Binary.class)
          .register(5, "matrix.Enumerated", Enumerated.class)
          .register(6, "matrix.Outer", Outer.class)
          .register(7, "matrix.Lists", Lists.class)
          .register(8, "matrix.Sets", Sets.class)
          .register(9, "matrix.Maps", Maps.class)
          .register(10, "matrix.RecordSet", RecordSet.class)
          .register(11, "matrix.RecordKeys", RecordKeys.class)
          .register(12, "matrix.Tones", Tones.class)
          .register(13, "matrix.Optionals", Optionals.class)
          .register(14, "matrix.Id", Id.class)
          .register(15, "matrix.Decimal", Decimal.class)
          .register(16, "matrix.Big", Big.class)
          .register(17, "matrix.Moment", Moment.class)
          .register(18, "matrix.Span", Span.class)
          .register(19, "matrix.Zoned", Zoned.class)
          .register(20, "matrix.Offset", Offset.class)
          .register(21, "matrix.Local", Local.class)
          .register(22, "matrix.PointArray", PointArray.class)
          .register(23, "matrix.Nullable", Nullable.class)
          .register(24, "matrix.Untyped", Untyped.class)
          .register(25, "matrix.UntypedList", UntypedList.class)
          .register(26, "matrix.Drawing", Drawing.class)
          .register(27, "matrix.Chain", Chain.class)
          .register(28, "matrix.Tree", Tree.class)
          .register(29, "matrix.TagSet", TagSet.class)
          .register(30, "matrix.TagKeys", TagKeys.class)
          .build();
}
