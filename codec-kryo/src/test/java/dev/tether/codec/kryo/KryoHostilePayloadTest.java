package dev.tether.codec.kryo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.esotericsoftware.kryo.io.Output;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecLimits;
import dev.tether.codec.EncodeBuffer;
import dev.tether.codec.kryo.KryoTestTypes.Holder;
import dev.tether.testing.ContractCodecs;
import dev.tether.testing.ContractSamples;
import dev.tether.testing.ContractTypes;
import dev.tether.testing.ContractTypes.Bytes;
import dev.tether.testing.ContractTypes.Collections;
import dev.tether.testing.ContractTypes.Deep;
import dev.tether.testing.ContractTypes.Text;
import dev.tether.testing.Hex;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

/**
 * The codec's own defences, beyond core's hostile-input contract: lengths checked on every input
 * path, class names refused before lookup, the depth limit at its exact boundary and on a small
 * stack, and failures that leave the codec and the caller's buffer as they were.
 */
class KryoHostilePayloadTest {
  private static final Codec CONTRACT = new KryoCodecProvider().create(ContractTypes.TYPES);
  private static final Codec HOLDER = new KryoCodecProvider().create(KryoTestTypes.TYPES);

  /** A decode of a few hostile bytes allocates the codec's bookkeeping, nothing proportional. */
  private static final long SMALL_ALLOCATION = 64 * 1024;

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private enum Path {
    HEAP,
    /** Up to 64 KiB: copied into the session's scratch array. */
    SMALL_DIRECT,
    /** Past 64 KiB: read in place by CheckedByteBufferInput. */
    LARGE_DIRECT
  }

  private static ByteBuffer place(byte[] payload, Path path) {
    return switch (path) {
      case HEAP -> ByteBuffer.wrap(payload);
      case SMALL_DIRECT -> ByteBuffer.allocateDirect(payload.length).put(payload).flip();
      case LARGE_DIRECT -> {
        // The payload, then 100 KiB of zeros, past the 64 KiB that are copied to the heap.
        ByteBuffer buffer = ByteBuffer.allocateDirect(payload.length + PADDING);
        yield buffer.put(payload).clear();
      }
    };
  }

  /** Padding after the payload on the {@link Path#LARGE_DIRECT} path. */
  private static final int PADDING = 100 * 1024;

  /**
   * Decodes {@code payload} from each path and asserts a CodecException and a small allocation. The
   * large direct path pads the payload with zeros, which a small declared length may legally
   * consume, so it is taken only when {@code declared} is past the padding.
   */
  private static AbstractThrowableAssert<?, ? extends Throwable> assertRejectedCheaply(
      Codec codec, Class<?> type, byte[] payload, long declared) {
    // First uses load classes and create a session: not what is measured.
    byte[] valid = ContractCodecs.encode(codec, sample(type));
    codec.decode(type, place(valid, Path.HEAP));
    codec.decode(type, place(valid, Path.SMALL_DIRECT));
    byte[] large = ContractCodecs.encode(CONTRACT, new Bytes(new byte[PADDING]));
    CONTRACT.decode(Bytes.class, place(large, Path.SMALL_DIRECT)); // past 64 KiB: in place
    catchThrowable(() -> codec.decode(type, ByteBuffer.wrap(payload))); // and a first failure
    AtomicReference<Throwable> last = new AtomicReference<>();
    for (Path path : Path.values()) {
      if (path == Path.LARGE_DIRECT && declared <= PADDING) {
        continue;
      }
      ByteBuffer buffer = place(payload, path);
      long before = THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
      Throwable thrown = catchThrowable(() -> codec.decode(type, buffer));
      long allocated = THREADS.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;

      assertThat(thrown)
          .as("%s via %s", Hex.encode(payload), path)
          .isExactlyInstanceOf(CodecException.class);
      assertThat(allocated).as("bytes allocated via %s", path).isLessThan(SMALL_ALLOCATION);
      last.set(thrown);
    }
    return assertThat(last.get());
  }

  private static Throwable catchThrowable(Runnable action) {
    try {
      action.run();
      return null;
    } catch (Throwable t) {
      return t;
    }
  }

  private static Object sample(Class<?> type) {
    if (type == Holder.class) {
      return new Holder(List.of("warm"));
    }
    return ContractSamples.all().stream()
        .filter(s -> s.type() == type)
        .findFirst()
        .orElseThrow()
        .message();
  }

  @Test
  void declaredStringLengthsBeyondThePayloadAreRefusedBeforeAllocating() {
    for (int chars : new int[] {Integer.MAX_VALUE - 1, 1 << 27, 1 << 24, 4}) {
      assertRejectedCheaply(CONTRACT, Text.class, HostilePayloads.utf8String(chars), chars)
          .hasMessageContaining("string declares " + chars + " elements")
          .hasMessageContaining("bytes remain");
    }
  }

  @Test
  void declaredByteArrayLengthsBeyondThePayloadAreRefusedBeforeAllocating() {
    for (int length : new int[] {Integer.MAX_VALUE - 1, 1 << 27, 4}) {
      assertRejectedCheaply(CONTRACT, Bytes.class, HostilePayloads.byteArray(length), length)
          .hasMessageContaining("byte[] declares " + length + " elements");
    }
  }

  @Test
  void negativeLengthsAreRefused() {
    // A varint of 0xffffffff = -1 as the length + 1 of a byte[] and of a string.
    assertRejectedCheaply(CONTRACT, Bytes.class, Hex.decode("ffffffff0f 010203"), -2)
        .hasMessageContaining("declares -2 elements");
    assertRejectedCheaply(CONTRACT, Text.class, Hex.decode("ff ffffff1f 616263"), -2)
        .hasMessageContaining("string declares -2 elements");
  }

  @Test
  void collectionCountsBeyondThePayloadAreRefusedEvenWhenEveryElementWouldBeNull() {
    // Kryo's own CollectionSerializer writes an all-null list of any size in one byte and
    // re-creates it by adding nulls one by one: 3 bytes could ask for 2^31 adds. Tether's
    // format spends a byte per element, so the count is checked against what is there.
    for (int size : new int[] {Integer.MAX_VALUE - 1, 1_000_000, 4}) {
      assertRejectedCheaply(HOLDER, Holder.class, HostilePayloads.arrayList(size), size)
          .hasMessageContaining("java.util.ArrayList declares " + size + " elements");
    }
  }

  @Test
  void mapCountsAreCheckedAtTwoBytesAnEntry() {
    // 2 entries declared, 3 bytes left: enough for one entry of two nulls, not for two.
    assertRejectedCheaply(HOLDER, Holder.class, Hex.decode("1c 03 000000"), 2)
        .hasMessageContaining("java.util.HashMap declares 2 elements of at least 2 byte(s)");
    for (int size : new int[] {Integer.MAX_VALUE - 1, 1 << 24}) {
      assertRejectedCheaply(HOLDER, Holder.class, HostilePayloads.hashMap(size), size);
    }
  }

  @Test
  void referenceArrayLengthsAreCheckedBeforeKryoAllocatesTheArray() {
    Output out = new Output(16);
    out.writeVarInt(19 + 2, true); // Object[]
    out.writeVarInt(Integer.MAX_VALUE, true); // length 2^31-2
    out.writeBytes(new byte[] {0, 0});

    assertRejectedCheaply(HOLDER, Holder.class, out.toBytes(), Integer.MAX_VALUE - 1L)
        .hasMessageContaining("Object[] declares 2147483646 elements");
  }

  @Test
  void aClassNamedInThePayloadIsRefusedBeforeItIsLookedUp() {
    Output out = new Output(64);
    out.writeVarInt(1, true); // Kryo's "class by name" marker
    out.writeVarInt(0, true); // name id
    out.writeString("does.not.Exist");

    assertRejectedCheaply(CONTRACT, Collections.class, out.toBytes(), Long.MAX_VALUE)
        .hasMessageContaining("names a class instead of giving a registered class id")
        .hasMessageNotContaining("Unable to find class");
  }

  @Test
  void realKryoEncodingOfUnregisteredJdkClassesIsRefused() {
    assertRejectedCheaply(
            CONTRACT, Collections.class, HostilePayloads.unregisteredJdkClasses(), Long.MAX_VALUE)
        .hasMessageContaining("names a class");
    assertRejectedCheaply(
            CONTRACT, Collections.class, HostilePayloads.unregisteredClassId(), Long.MAX_VALUE)
        .hasMessageContaining("unregistered class ID: 500");
  }

  @Test
  void bytesAfterTheMessageAreRefused() {
    byte[] valid = ContractCodecs.encode(CONTRACT, new Text("a", "b"));
    byte[] longer = java.util.Arrays.copyOf(valid, valid.length + 2);

    assertThatThrownBy(() -> CONTRACT.decode(Text.class, ByteBuffer.wrap(longer)))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessage(
            "kryo codec cannot decode "
                + longer.length
                + " bytes as dev.tether.testing.ContractTypes$Text: 2 trailing bytes after the"
                + " message, which ends at byte "
                + valid.length);
  }

  @Test
  void duplicateElementsOfAnImmutableSetAreRefused() {
    // Set.of's class id 33 + 2; 2 elements + 1; twice String's class id 1 + 2 and "a" (82 61).
    assertRejectedCheaply(HOLDER, Holder.class, Hex.decode("23 03 03 8261 03 8261"), 2)
        .hasMessageContaining("duplicate element");
  }

  @Test
  void nestingUpToTheDepthLimitWorksAndOneLevelMoreFailsBothWays() {
    // A chain of CodecLimits.maxDepth records is the deepest message (Kryo itself counts one level
    // more: the final null).
    int limit = CodecLimits.DEFAULT_MAX_DEPTH;

    Deep atLimit = ContractSamples.deep(limit);
    byte[] bytes = ContractCodecs.encode(CONTRACT, atLimit);
    assertThat(bytes).isEqualTo(HostilePayloads.deep(limit - 1)); // the outermost has no marker
    assertThat(CONTRACT.decode(Deep.class, ByteBuffer.wrap(bytes))).isNotNull();

    assertThatThrownBy(() -> ContractCodecs.encode(CONTRACT, ContractSamples.deep(limit + 1)))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining("the message nests deeper than the limit of " + limit + " levels");
    assertThatThrownBy(
            () -> CONTRACT.decode(Deep.class, ByteBuffer.wrap(HostilePayloads.deep(limit))))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining("the message nests deeper than the limit of " + limit + " levels")
        .hasMessageContaining("more"); // the trace of 200 fields is cut to its two ends
  }

  @Test
  void deepPayloadFailsWithCodecExceptionOnAThreadWithA256KibStack() throws Exception {
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread small =
        new Thread(
            null,
            () ->
                thrown.set(
                    catchThrowable(
                        () ->
                            CONTRACT.decode(
                                Deep.class, ByteBuffer.wrap(HostilePayloads.deep(100_000))))),
            "small-stack",
            256 * 1024);
    small.start();
    small.join(10_000);

    assertThat(thrown.get())
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining("nests deeper than the limit");
  }

  @Test
  void cyclicObjectGraphFailsToEncodeAtTheDepthLimit() {
    List<Object> cycle = new ArrayList<>();
    cycle.add(cycle);

    assertThatThrownBy(() -> ContractCodecs.encode(HOLDER, new Holder(cycle)))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageStartingWith("kryo codec cannot encode " + Holder.class.getName())
        .hasMessageContaining("nests deeper than the limit");
  }

  /** A record no registry here lists or holds. */
  record Unlisted() {}

  @Test
  void unregisteredClassOnEncodeSaysWhereToRegisterItAndLeavesTheBufferAsItWas() {
    EncodeBuffer out = new EncodeBuffer(16);
    out.write(new byte[] {1, 2, 3}, 0, 3);

    assertThatThrownBy(() -> HOLDER.encode(new Holder(new Unlisted()), out))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining(
            "class "
                + Unlisted.class.getName()
                + " is not registered; list it in MessageTypes.Builder.nested(...)")
        .hasMessageNotContaining("kryo.register");
    assertThat(out.position()).isEqualTo(3);
  }

  @Test
  void codecWorksNormallyAfterEveryKindOfFailure() {
    Text text = new Text("after", "failures");
    for (int i = 0; i < 3; i++) {
      catchThrowable(
          () -> CONTRACT.decode(Text.class, ByteBuffer.wrap(HostilePayloads.utf8String(9))));
      catchThrowable(() -> CONTRACT.decode(Deep.class, ByteBuffer.wrap(HostilePayloads.deep(500))));
      catchThrowable(() -> ContractCodecs.encode(CONTRACT, ContractSamples.deep(500)));
      catchThrowable(() -> ContractCodecs.encode(HOLDER, new Holder(new Object())));

      assertThat(
              CONTRACT.decode(Text.class, ByteBuffer.wrap(ContractCodecs.encode(CONTRACT, text))))
          .isEqualTo(text);
    }
  }

  @Test
  void emptyPayloadIsRefusedForEveryMessageThatHasFields() {
    for (Class<?> type : List.of(Text.class, Bytes.class, Collections.class, Deep.class)) {
      assertThatThrownBy(() -> CONTRACT.decode(type, ByteBuffer.allocate(0)))
          .isExactlyInstanceOf(CodecException.class)
          .hasMessageContaining("payload ends early");
    }
  }
}
