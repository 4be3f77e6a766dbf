package dev.tether.codec.kryo;

import static org.assertj.core.api.Assertions.assertThat;

import com.esotericsoftware.kryo.Kryo;
import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.kryo.KryoRegistrations.Entry;
import dev.tether.codec.kryo.KryoRegistrations.Source;
import dev.tether.codec.kryo.KryoTestTypes.Account;
import dev.tether.codec.kryo.KryoTestTypes.Card;
import dev.tether.codec.kryo.KryoTestTypes.Cash;
import dev.tether.codec.kryo.KryoTestTypes.Currency;
import dev.tether.codec.kryo.KryoTestTypes.Holder;
import dev.tether.codec.kryo.KryoTestTypes.Line;
import dev.tether.codec.kryo.KryoTestTypes.Money;
import dev.tether.codec.kryo.KryoTestTypes.Order;
import dev.tether.codec.kryo.KryoTestTypes.Quantity;
import dev.tether.codec.kryo.KryoTestTypes.Status;
import dev.tether.codec.kryo.KryoTestTypes.Unit;
import dev.tether.testing.ContractCodecs;
import dev.tether.testing.ContractSamples;
import dev.tether.testing.ContractSamples.Sample;
import dev.tether.testing.ContractTypes;
import dev.tether.testing.ContractTypes.Bytes;
import dev.tether.testing.ContractTypes.Circle;
import dev.tether.testing.ContractTypes.Collections;
import dev.tether.testing.ContractTypes.Color;
import dev.tether.testing.ContractTypes.Deep;
import dev.tether.testing.ContractTypes.Nested;
import dev.tether.testing.ContractTypes.Point;
import dev.tether.testing.ContractTypes.Scalars;
import dev.tether.testing.ContractTypes.Square;
import dev.tether.testing.ContractTypes.Temporal;
import dev.tether.testing.ContractTypes.Text;
import dev.tether.testing.Hex;
import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Registration ids are derived from MessageTypes alone, so independent codecs agree on bytes. */
class KryoRegistrationsTest {
  private static List<Entry> from(KryoRegistrations registrations, Source source) {
    return registrations.entries().stream().filter(e -> e.source() == source).toList();
  }

  @Test
  void messageTypesComeFirstInAscendingTypeIdThenNestedClassesInTheirOrder() {
    KryoRegistrations registrations = KryoRegistrations.of(ContractTypes.TYPES);

    assertThat(from(registrations, Source.MESSAGE))
        .containsExactly(
            new Entry(64, Scalars.class, Source.MESSAGE),
            new Entry(65, Text.class, Source.MESSAGE),
            new Entry(66, Bytes.class, Source.MESSAGE),
            new Entry(67, Nested.class, Source.MESSAGE),
            new Entry(68, Collections.class, Source.MESSAGE),
            new Entry(69, Circle.class, Source.MESSAGE),
            new Entry(70, Square.class, Source.MESSAGE),
            new Entry(71, Temporal.class, Source.MESSAGE),
            new Entry(72, Deep.class, Source.MESSAGE));
    assertThat(from(registrations, Source.NESTED))
        .containsExactly(
            new Entry(73, Point.class, Source.NESTED), new Entry(74, Color.class, Source.NESTED));
    assertThat(from(registrations, Source.DISCOVERED)).isEmpty();
  }

  @Test
  void orderOfRegisterCallsDoesNotMatterOnlyTheTypeIds() {
    MessageTypes backwards =
        MessageTypes.builder("tether-contract")
            .register(9, "contract.Deep", Deep.class)
            .register(5, "contract.Collections", Collections.class)
            .register(1, "contract.Scalars", Scalars.class)
            .build();
    MessageTypes forwards =
        MessageTypes.builder("tether-contract")
            .register(1, "contract.Scalars", Scalars.class)
            .register(5, "contract.Collections", Collections.class)
            .register(9, "contract.Deep", Deep.class)
            .build();

    assertThat(KryoRegistrations.of(backwards).entries())
        .isEqualTo(KryoRegistrations.of(forwards).entries());
  }

  @Test
  void enumsRecordsAndArraysHeldByRecordComponentsAreDiscoveredDepthFirstAfterNested() {
    KryoRegistrations registrations = KryoRegistrations.of(KryoTestTypes.TYPES);

    assertThat(from(registrations, Source.MESSAGE))
        .extracting(Entry::type)
        .containsExactly(Holder.class, Account.class, Order.class);
    // Order(Status, List<Line>, Money[], Payment, Map<String, Unit>): components in declaration
    // order; Line's Quantity and Quantity's Unit before Money; Payment's permitted records sorted
    // by name (Card, Cash), Cash's Currency already found with Money.
    assertThat(from(registrations, Source.DISCOVERED))
        .containsExactly(
            new Entry(67, Status.class, Source.DISCOVERED),
            new Entry(68, Line.class, Source.DISCOVERED),
            new Entry(69, Quantity.class, Source.DISCOVERED),
            new Entry(70, Unit.class, Source.DISCOVERED),
            new Entry(71, Money.class, Source.DISCOVERED),
            new Entry(72, Currency.class, Source.DISCOVERED),
            new Entry(73, Money[].class, Source.DISCOVERED),
            new Entry(74, Card.class, Source.DISCOVERED),
            new Entry(75, Cash.class, Source.DISCOVERED));
  }

  @Test
  void kryoRegistersPrimitivesAndStringAtZeroToEightAsTheTableSays() {
    KryoRegistrations registrations = KryoRegistrations.of(TestTypes.TYPES);
    Kryo kryo = registrations.newKryo();

    for (Entry entry : from(registrations, Source.KRYO)) {
      assertThat(kryo.getRegistration(entry.type()).getId()).as("%s", entry).isEqualTo(entry.id());
    }
    assertThat(from(registrations, Source.KRYO))
        .extracting(Entry::id)
        .containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8);
  }

  @Test
  void everyEntryIsRegisteredUnderItsIdAndNothingElseIs() {
    for (MessageTypes types : List.of(ContractTypes.TYPES, KryoTestTypes.TYPES, TestTypes.TYPES)) {
      KryoRegistrations registrations = KryoRegistrations.of(types);
      Kryo kryo = registrations.newKryo();

      for (Entry entry : registrations.entries()) {
        assertThat(kryo.getRegistration(entry.type()).getId())
            .as("%s", entry)
            .isEqualTo(entry.id());
        assertThat(kryo.getRegistration(entry.id()).getType())
            .as("%s", entry)
            .isEqualTo(entry.type());
      }
      int highest = registrations.entries().get(registrations.entries().size() - 1).id();
      for (int id = 0; id <= highest + 16; id++) {
        int unused = id;
        boolean listed = registrations.entries().stream().anyMatch(e -> e.id() == unused);
        assertThat(kryo.getRegistration(id) != null).as("id %d registered", id).isEqualTo(listed);
      }
    }
  }

  @Test
  void jdkClassesHaveTheSameIdsWhateverTheRegistry() {
    List<Entry> contract = from(KryoRegistrations.of(ContractTypes.TYPES), Source.JDK);
    List<Entry> test = from(KryoRegistrations.of(TestTypes.TYPES), Source.JDK);

    assertThat(contract).isEqualTo(test);
    assertThat(contract)
        .contains(
            new Entry(10, byte[].class, Source.JDK),
            new Entry(20, ArrayList.class, Source.JDK),
            new Entry(26, HashMap.class, Source.JDK),
            new Entry(29, List.of(1).getClass(), Source.JDK),
            new Entry(46, Instant.class, Source.JDK),
            new Entry(53, UUID.class, Source.JDK));
    assertThat(contract).allSatisfy(e -> assertThat(e.id()).isBetween(10, 63));
  }

  @Test
  void twoCodecsCreatedIndependentlyEncodeEverySampleToTheSameBytes() {
    Codec first = new KryoCodecProvider().create(ContractTypes.TYPES);
    MessageTypes rebuilt =
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
    Codec second = new KryoCodecProvider().create(rebuilt);

    for (Sample sample : ContractSamples.all()) {
      byte[] bytes = ContractCodecs.encode(first, sample.message());

      assertThat(ContractCodecs.encode(second, sample.message())).as("%s", sample).isEqualTo(bytes);
      assertThat(second.decode(sample.type(), ByteBuffer.wrap(bytes)))
          .as("%s", sample)
          .isEqualTo(sample.message());
    }
  }

  @Test
  void encodesTheWireFormatKryoDefines() {
    Codec codec = new KryoCodecProvider().create(TestTypes.TYPES);

    // Msg("hi", 1): no class id at the top level (the frame names the type); Kryo's
    // RecordSerializer writes components sorted by name: seq as a zig-zag varint 02, then
    // "hi" as ASCII with the high bit set on the last char: 68 e9.
    assertThat(ContractCodecs.encode(codec, new Msg("hi", 1))).isEqualTo(Hex.decode("02 68e9"));
    Codec contract = new KryoCodecProvider().create(ContractTypes.TYPES);
    assertThat(ContractCodecs.encode(contract, new Circle(1.5)))
        .isEqualTo(Hex.decode("000000000000f83f")); // the double, little-endian
    assertThat(
            ContractCodecs.encode(
                contract, new Nested("n", new Point(1, -2, Color.BLUE), List.of(), null)))
        .isEqualTo(
            Hex.decode(
                "00" // missing: null
                    + " 82 6e" // name "n": UTF-8 flag 0x80 | 1 char + 1, then 'n' (Kryo writes
                    // one-character strings this way: the ASCII form could be mistaken for a flag)
                    + " 01 03 02 03" // origin: not null; color BLUE (ordinal 2 + 1), x 1, y -2
                    + " 20 01")); // path: class id 30 (List.of's ListN) + 2, then size 0 + 1
  }
}
