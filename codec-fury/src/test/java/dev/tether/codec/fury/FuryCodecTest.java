package dev.tether.codec.fury;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.Connection;
import dev.tether.MessageTypes;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecProvider;
import dev.tether.codec.EncodeBuffer;
import dev.tether.testing.ContractCodecs;
import dev.tether.testing.ContractSamples;
import dev.tether.testing.ContractSamples.Sample;
import dev.tether.testing.ContractTypes;
import dev.tether.testing.ContractTypes.Color;
import dev.tether.testing.ContractTypes.Nested;
import dev.tether.testing.ContractTypes.Point;
import dev.tether.testing.ContractTypes.Text;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** What the {@code fury} codec adds to the shared contracts: its name, ids, and encode failures. */
class FuryCodecTest {
  /** A record whose component's declared type says nothing of what it holds. */
  record Holder(Object anything) {}

  /** Never registered, and not discoverable from {@link Holder}. */
  record Loose(int value) {}

  /** A record that can be made to hold itself. */
  record Loop(List<Object> items) {}

  /** A message whose constructor decodes the message it carries, with the same codec. */
  record Wrapper(int depth, byte[] inner) {
    Wrapper {
      if (inner.length > 0) {
        Wrapper unwrapped = WRAPPING.decode(Wrapper.class, ByteBuffer.wrap(inner));
        if (unwrapped.depth() != depth - 1) {
          throw new IllegalArgumentException("depth " + unwrapped.depth() + " in " + depth);
        }
      }
    }
  }

  private static final Codec WRAPPING =
      new FuryCodecProvider()
          .create(MessageTypes.builder("wrapping").register(1, Wrapper.class).build());

  private static byte[] encode(Codec codec, Object message) {
    return ContractCodecs.encode(codec, message);
  }

  @Test
  void aBareObjectIsRefusedOnBothEnds() {
    // Fory writes one as bytes its own reader cannot read back; a fuzzer made it decode some
    Codec codec =
        ContractCodecs.codec(
            "fury", dev.tether.testing.MatrixTypes.TYPES, dev.tether.codec.CodecLimits.defaults());
    var untyped = new dev.tether.testing.MatrixTypes.UntypedList(List.of(1, new Object()));

    assertThatThrownBy(() -> encode(codec, untyped))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("a bare java.lang.Object is not carried by the fury codec");
  }

  @Test
  void serviceLoaderFindsFuryUnderItsNameAndTheForyAlias() {
    List<CodecProvider> providers =
        ServiceLoader.load(CodecProvider.class).stream().map(ServiceLoader.Provider::get).toList();

    assertThat(providers).hasAtLeastOneElementOfType(FuryCodecProvider.class);
    assertThat(ContractCodecs.provider("fury")).isInstanceOf(FuryCodecProvider.class);
    assertThat(ContractCodecs.provider("fory")).isInstanceOf(FuryCodecProvider.class);
    assertThat(new FuryCodecProvider().aliases()).containsExactly("fory");
    assertThat(ContractCodecs.provider("fory").create(ContractTypes.TYPES).name())
        .isEqualTo("fury");
  }

  @Test
  void peersConfiguredAsForyAndFuryTalkFuryOnTheWire() throws Exception {
    try (Server<Object, Object> server =
            Tether.server(ContractTypes.TYPES)
                .codecs("fory")
                .onMessage((c, m) -> c.send(m))
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(ContractTypes.TYPES).codecs("fury").connect(server.address())) {
      client.send(new Text("via fory 𝄞", null));

      assertThat(client.receive(Duration.ofSeconds(10))).isEqualTo(new Text("via fory 𝄞", null));
      assertThat(client.peer().codec()).isEqualTo("fury");
    }
  }

  @Test
  void twoCodecsFromTheSameRegistryWriteTheSameBytesAndReadEachOther() {
    Codec first = new FuryCodecProvider().create(ContractTypes.TYPES);
    Codec second = new FuryCodecProvider().create(ContractTypes.TYPES);

    assertThat(second).isNotSameAs(first);
    for (Sample sample : ContractSamples.all()) {
      byte[] bytes = encode(first, sample.message());
      assertThat(encode(second, sample.message())).as(sample.name()).isEqualTo(bytes);
      assertThat(second.decode(sample.type(), ByteBuffer.wrap(bytes)))
          .as(sample.name())
          .isEqualTo(sample.message());
    }
  }

  @Test
  void registersMessagesUnderTheirTypeIdsThenNestedClassesAfterTheLargest() {
    List<FuryRegistrations.Registration> entries =
        FuryRegistrations.of(ContractTypes.TYPES).entries();

    assertThat(entries)
        .extracting(FuryRegistrations.Registration::foryId)
        .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L);
    assertThat(entries.get(1).type()).isEqualTo(Text.class);
    assertThat(entries.get(9).type()).isEqualTo(Point.class);
    assertThat(entries.get(10).type()).isEqualTo(Color.class);
    assertThat(entries)
        .extracting(FuryRegistrations.Registration::source)
        .doesNotContain(FuryRegistrations.Source.DISCOVERED);
  }

  @Test
  void discoversTheRecordsAndEnumsAMessageHoldsAsTheKryoCodecDoes() {
    MessageTypes types = MessageTypes.builder("discovered").register(7, Nested.class).build();

    List<FuryRegistrations.Registration> entries = FuryRegistrations.of(types).entries();

    assertThat(entries)
        .containsExactly(
            new FuryRegistrations.Registration(Nested.class, 7, FuryRegistrations.Source.MESSAGE),
            new FuryRegistrations.Registration(Point.class, 8, FuryRegistrations.Source.DISCOVERED),
            new FuryRegistrations.Registration(
                Color.class, 9, FuryRegistrations.Source.DISCOVERED));
    Nested nested = new Nested("n", new Point(1, 2, Color.BLUE), List.of(), null);
    Codec codec = new FuryCodecProvider().create(types);
    assertThat(codec.decode(Nested.class, ByteBuffer.wrap(encode(codec, nested))))
        .isEqualTo(nested);
  }

  @Test
  void writesTheFramesTypeIdAsTheRootId() {
    for (MessageTypes.Entry entry : ContractTypes.TYPES.entries()) {
      Object sample =
          ContractSamples.all().stream()
              .filter(s -> s.type() == entry.type())
              .findFirst()
              .orElseThrow()
              .message();

      byte[] bytes = encode(ContractCodecs.codec("fury"), sample);

      // 00 header, ff not null, 1b struct, then the id as a varint (one byte below 128)
      assertThat(Arrays.copyOf(bytes, 4))
          .as(entry.name())
          .containsExactly(0x00, 0xff, 0x1b, entry.id());
    }
  }

  @Test
  void refusesARegistryListingAClassAsMessageAndAsNested() {
    MessageTypes both =
        MessageTypes.builder("both").register(1, Text.class).nested(Text.class).build();

    assertThatThrownBy(() -> new FuryCodecProvider().create(both))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Text.class.getName())
        .hasMessageContaining("both as message type 1 and as a nested class");
  }

  @Test
  void carriesJdkTypesThatForyRegistersItselfAsMessages() {
    MessageTypes types =
        MessageTypes.builder("jdk")
            .register(1, byte[].class)
            .register(2, String.class)
            .register(3, ArrayList.class)
            .build();
    Codec codec = new FuryCodecProvider().create(types);

    assertThat(codec.decode(byte[].class, ByteBuffer.wrap(encode(codec, new byte[] {1, 2}))))
        .containsExactly(1, 2);
    assertThat(codec.decode(String.class, ByteBuffer.wrap(encode(codec, "é𝄞")))).isEqualTo("é𝄞");
    ArrayList<?> list =
        codec.decode(
            ArrayList.class, ByteBuffer.wrap(encode(codec, new ArrayList<>(List.of(1, "a")))));
    assertThat(list)
        .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
        .containsExactly(1, "a");
  }

  @Test
  void refusesToEncodeAClassTheRegistryDoesNotListAndSaysWhereToListIt() {
    MessageTypes types = MessageTypes.builder("holder").register(1, Holder.class).build();
    Codec codec = new FuryCodecProvider().create(types);
    EncodeBuffer out = new EncodeBuffer(64);
    out.write(new byte[] {9, 9, 9}, 0, 3);

    assertThatThrownBy(() -> codec.encode(new Holder(new Loose(1)), out))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageStartingWith("fury codec cannot encode " + Holder.class.getName())
        .hasMessageContaining("class " + Loose.class.getName() + " is not registered")
        .hasMessageContaining("MessageTypes.Builder.nested(...)");
    assertThat(out.position()).as("nothing partial stays in the buffer").isEqualTo(3);
  }

  @Test
  void refusesToEncodeACycleAndKeepsWorkingAfterwards() {
    MessageTypes types = MessageTypes.builder("loop").register(1, Loop.class).build();
    Codec codec = new FuryCodecProvider().create(types);
    Loop loop = new Loop(new ArrayList<>());
    loop.items().add(loop);

    assertThatThrownBy(() -> encode(codec, loop))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining("the message nests deeper than the limit of 200 levels");
    Loop fine = new Loop(new ArrayList<>(List.of(new Loop(new ArrayList<>()))));
    assertThat(codec.decode(Loop.class, ByteBuffer.wrap(encode(codec, fine)))).isEqualTo(fine);
  }

  /**
   * While set, {@link Moody}'s accessor throws for one value, which its field holds all the same.
   */
  private static final AtomicBoolean MOODY = new AtomicBoolean();

  record Moody(String name) {
    @Override
    public String name() {
      if (MOODY.get() && name.equals("boom")) {
        throw new IllegalStateException("no name today");
      }
      return name;
    }
  }

  @Test
  void aDecodedRecordWhoseAccessorThrowsFailsAsACodecFailure() {
    MessageTypes types = MessageTypes.builder("moody").register(1, Moody.class).build();
    Codec codec = new FuryCodecProvider().create(types);
    byte[] boom = encode(codec, new Moody("boom"));

    MOODY.set(true);
    try {
      assertThatThrownBy(() -> codec.decode(Moody.class, ByteBuffer.wrap(boom)))
          .isExactlyInstanceOf(CodecException.class)
          .hasMessageContaining("reading its strings failed")
          .hasMessageContaining("no name today");
    } finally {
      MOODY.set(false);
    }
    assertThat(codec.decode(Moody.class, ByteBuffer.wrap(encode(codec, new Moody("calm")))))
        .isEqualTo(new Moody("calm"));
  }

  @Test
  void refusesToEncodeNull() {
    assertThatThrownBy(() -> ContractCodecs.codec("fury").encode(null, new EncodeBuffer(16)))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessage("fury codec cannot encode null: a message must be an object");
  }

  @Test
  void writesAMessageLargerThanTheBufferInPlaceOfWhatFollowsThePosition() {
    Codec codec = ContractCodecs.codec("fury");
    Text large = new Text("x".repeat(100_000), "y");
    EncodeBuffer out = new EncodeBuffer(16);
    out.write(new byte[] {7, 7}, 0, 2);

    codec.encode(large, out);
    codec.encode(new Text("small", null), out);

    byte[] alone = encode(codec, large);
    byte[] small = encode(codec, new Text("small", null));
    assertThat(out.position()).isEqualTo(2 + alone.length + small.length);
    assertThat(Arrays.copyOfRange(out.array(), 2, 2 + alone.length)).isEqualTo(alone);
    assertThat(
            codec.decode(Text.class, ByteBuffer.wrap(out.array(), 2 + alone.length, small.length)))
        .isEqualTo(new Text("small", null));
  }

  @Test
  void aDecodeInsideADecodeOnTheSameThreadReadsBothMessagesAndTheNextOne() {
    // each thread reuses one Fory buffer per direction; a nested call must get its own
    byte[] innermost = new byte[0];
    for (int depth = 0; depth < 3; depth++) {
      innermost = encode(WRAPPING, new Wrapper(depth, innermost));
    }
    byte[] payload = encode(WRAPPING, new Wrapper(3, innermost));
    byte[] framed = new byte[payload.length + 10];
    System.arraycopy(payload, 0, framed, 5, payload.length);

    assertThat(WRAPPING.decode(Wrapper.class, ByteBuffer.wrap(framed, 5, payload.length)).depth())
        .isEqualTo(3);
    assertThat(WRAPPING.decode(Wrapper.class, ByteBuffer.wrap(payload)).depth()).isEqualTo(3);
    ByteBuffer direct = ByteBuffer.allocateDirect(payload.length).put(payload).flip();
    assertThat(WRAPPING.decode(Wrapper.class, direct).depth()).isEqualTo(3);
    assertThatThrownBy(
            () -> WRAPPING.decode(Wrapper.class, ByteBuffer.wrap(payload, 0, payload.length - 1)))
        .isInstanceOf(CodecException.class);
    assertThat(WRAPPING.decode(Wrapper.class, ByteBuffer.wrap(payload)).depth()).isEqualTo(3);
  }
}
