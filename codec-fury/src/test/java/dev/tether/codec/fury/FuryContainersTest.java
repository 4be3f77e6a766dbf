package dev.tether.codec.fury;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecLimits;
import dev.tether.testing.ContractCodecs;
import dev.tether.testing.FeatureMatrix;
import dev.tether.testing.Hex;
import dev.tether.testing.MatrixTypes;
import dev.tether.testing.MatrixTypes.Point;
import dev.tether.testing.MatrixTypes.PointArray;
import dev.tether.testing.MatrixTypes.Tone;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.fory.Fory;
import org.apache.fory.collection.LazyMap;
import org.junit.jupiter.api.Test;

/**
 * The codec's own container serializers: what they carry, what they refuse, and how they differ
 * from Fory's.
 */
class FuryContainersTest {
  /** Hashed collections declared as their concrete classes, which generated code reads into. */
  record Concrete(
      HashSet<String> set,
      LinkedHashSet<Integer> linked,
      HashMap<String, Integer> map,
      LinkedHashMap<Integer, String> ordered) {}

  /** Anything, with its class written. */
  record Holder(Object value) {}

  private static final MessageTypes TYPES =
      MessageTypes.builder("fury-containers")
          .register(1, "fury.Concrete", Concrete.class)
          .register(2, "fury.Holder", Holder.class)
          .build();

  private static final Codec CODEC = new FuryCodecProvider().create(TYPES);

  private static Object roundTrip(Object message) {
    byte[] bytes = ContractCodecs.encode(CODEC, message);
    return CODEC.decode(message.getClass(), ByteBuffer.wrap(bytes));
  }

  @Test
  void hashedCollectionsDeclaredAsConcreteClassesComeBackAsThoseClasses() {
    Concrete sent =
        new Concrete(
            new HashSet<>(Set.of("a", "b")),
            new LinkedHashSet<>(List.of(3, 1, 2)),
            new HashMap<>(Map.of("k", 1)),
            new LinkedHashMap<>(Map.of(2, "two")));

    Concrete received = (Concrete) roundTrip(sent);

    assertThat(received).isEqualTo(sent);
    assertThat(received.linked()).containsExactly(3, 1, 2);
    assertThat(received.set()).isInstanceOf(HashSet.class);
  }

  /** Collection and map classes of the application's, listed in nested(...). */
  public static class Log extends ArrayList<Object> {}

  public static class Tags extends HashSet<Object> {}

  public static class Index extends HashMap<Object, Object> {}

  /** A collection class with a field of its own, which only its elements would carry. */
  public static class NamedList extends ArrayList<Object> {
    String name = "";
  }

  @Test
  void registeredCollectionAndMapClassesComeBackAsThemselvesWithinTheLimits() {
    MessageTypes types =
        MessageTypes.builder("fury-application-containers")
            .register(1, "fury.Holder", Holder.class)
            .nested(Log.class, Tags.class, Index.class, Point.class)
            .build();
    CodecLimits small =
        CodecLimits.defaults().withMaxElements(10).withMaxSameHashElements(4).withMaxKeyNesting(1);
    Codec limited = ContractCodecs.codec("fury", types, small);
    Codec unlimited = ContractCodecs.codec("fury", types, CodecLimits.defaults());
    Log log = new Log();
    Tags tags = new Tags();
    Index index = new Index();
    for (int i = 0; i < 10; i++) {
      log.add(i);
      tags.add(i);
      index.put("k" + i, i);
    }
    for (Object within : List.of(log, tags, index)) {
      Object back = ContractCodecs.roundTrip(limited, new Holder(within));
      assertThat(((Holder) back).value()).isEqualTo(within).isExactlyInstanceOf(within.getClass());
    }

    Log longLog = new Log();
    longLog.addAll(log);
    longLog.add(10);
    Tags colliding = new Tags();
    colliding.addAll(FeatureMatrix.pointsSharingOneHash(5));
    Index nestedKeys = new Index();
    nestedKeys.put(index, 1);
    Map<Object, String> past =
        Map.of(
            longLog, "maxElements", colliding, "maxSameHashElements", nestedKeys, "maxKeyNesting");
    past.forEach(
        (value, limit) -> {
          Holder message = new Holder(value);
          assertThatThrownBy(() -> ContractCodecs.encode(limited, message))
              .as("a %s past %s, encoded", value.getClass().getSimpleName(), limit)
              .isExactlyInstanceOf(CodecException.class)
              .hasMessageContaining(limit);
          byte[] fromUnlimitedPeer = ContractCodecs.encode(unlimited, message);
          assertThatThrownBy(() -> limited.decode(Holder.class, ByteBuffer.wrap(fromUnlimitedPeer)))
              .as("a %s past %s, decoded", value.getClass().getSimpleName(), limit)
              .isExactlyInstanceOf(CodecException.class)
              .hasMessageContaining(limit);
        });
  }

  @Test
  void aRegisteredCollectionClassWithFieldsOfItsOwnIsRefusedWhenTheCodecIsCreated() {
    // Its name would arrive empty: the codec writes a collection's elements only.
    MessageTypes types =
        MessageTypes.builder("fury-fields")
            .register(1, "fury.Holder", Holder.class)
            .nested(NamedList.class)
            .build();

    assertThatThrownBy(() -> new FuryCodecProvider().create(types))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fury codec cannot carry " + NamedList.class.getName())
        .hasMessageContaining("fields of its own [name]");
  }

  @Test
  void anArrayOfRecordsIsRegisteredSoNoClassNameTravels() {
    // Fory accepts an unregistered array of a registered class, but writes its name into the
    // payload and logs that the class may be a vulnerability.
    Codec codec = ContractCodecs.codec("fury", MatrixTypes.TYPES, CodecLimits.defaults());
    PointArray points = new PointArray(new Point[] {new Point(1, 2, Tone.LOW)});

    byte[] bytes = ContractCodecs.encode(codec, points);

    assertThat(new String(bytes, StandardCharsets.ISO_8859_1)).doesNotContain("Point");
    assertThat(FuryRegistrations.of(MatrixTypes.TYPES).entries())
        .extracting(FuryRegistrations.Registration::type)
        .contains(Point[].class);
    assertThat(codec.decode(PointArray.class, ByteBuffer.wrap(bytes))).isEqualTo(points);
  }

  @Test
  void anUnregisteredTypeIdIsNamedAsSuchNotAsANullPointer() {
    // Fory 1.6 reads the unknown id 0x7f into a null TypeInfo and dereferences it.
    byte[] payload = Hex.decode("00 ff 1b 7f");

    assertThatThrownBy(() -> CODEC.decode(Holder.class, ByteBuffer.wrap(payload)))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining("the payload names a registered type id this side does not have")
        .hasMessageNotContaining("NullPointerException");
  }

  @Test
  void aCollectionWhoseInsertsAreQuadraticIsRefusedOnBothEnds() {
    Holder copyOnWrite = new Holder(new CopyOnWriteArrayList<>(List.of("a")));

    assertThatThrownBy(() -> roundTrip(copyOnWrite))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining(
            "class java.util.concurrent.CopyOnWriteArrayList is not carried by the fury codec;"
                + " use ArrayList");
    Fory open = FuryRegistrations.configure(Fory.builder()).requireClassRegistration(false).build();
    open.register(Holder.class, 2);
    byte[] fromFory = open.serialize(copyOnWrite);
    assertThatThrownBy(() -> CODEC.decode(Holder.class, ByteBuffer.wrap(fromFory)))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining("the payload holds a java.util.concurrent.CopyOnWriteArrayList");
  }

  @Test
  void containersForyRegistersButTheCodecDoesNotCheckAreRefusedOnBothEnds() {
    // LazyMap (Fory's own) hashes its entries at the first lookup, in the receiver's code, past
    // every check; ArrayBlockingQueue is read by Fory with none of the codec's limits.
    LazyMap<Object, Object> lazy = new LazyMap<>();
    lazy.put("k", 1);
    Map<Object, String> refused =
        Map.of(
            lazy,
            LazyMap.class.getName(),
            new ArrayBlockingQueue<>(4, false, List.of("a")),
            ArrayBlockingQueue.class.getName());
    Fory open = FuryRegistrations.configure(Fory.builder()).requireClassRegistration(false).build();
    open.register(Holder.class, 2);
    refused.forEach(
        (value, name) -> {
          Holder message = new Holder(value);
          assertThatThrownBy(() -> roundTrip(message))
              .isExactlyInstanceOf(CodecException.class)
              .hasMessageContaining("class " + name + " is not carried by the fury codec");
          byte[] fromFory = open.serialize(message);
          assertThatThrownBy(() -> CODEC.decode(Holder.class, ByteBuffer.wrap(fromFory)))
              .isExactlyInstanceOf(CodecException.class)
              .hasMessageContaining("the payload holds a " + name);
        });
  }

  @Test
  void moreEmptyCollectionsThanForyItselfCanReadBackRoundTrip() {
    // Fory writes Collections.emptyList() as no bytes at all, allows 8,192 more elements than a
    // payload has bytes, and so refuses its own encoding of 20,000 (15 bytes). The codec writes
    // each as one byte.
    List<Object> empties = new ArrayList<>(Collections.nCopies(20_000, Collections.emptyList()));
    Holder many = new Holder(empties);

    Holder back = (Holder) roundTrip(many);

    assertThat(back).isEqualTo(many);
    assertThat(((List<?>) back.value()).get(0)).isSameAs(Collections.emptyList());
  }
}
