package dev.tether.codec.fury;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecLimits;
import dev.tether.testing.ContractCodecs;
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
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.fory.Fory;
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
