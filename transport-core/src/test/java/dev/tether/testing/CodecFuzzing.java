package dev.tether.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecLimits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The invariants a codec's decode path keeps for any bytes at all, checked by each codec module's
 * fuzz test ({@code @FuzzTest}, Jazzer) through the {@link Codec} SPI, for every message type of
 * {@link ContractTypes} and {@link MatrixTypes}:
 *
 * <ul>
 *   <li>decoding yields a value of the requested type, or throws {@link CodecException}: never
 *       another exception or error;
 *   <li>it allocates at most {@link DecodeCostContract#MAX_ALLOCATION_PER_BYTE} bytes per payload
 *       byte plus {@link DecodeCostContract#ALLOCATION_ALLOWANCE}, measured on the decoding thread
 *       with {@link Allocations}, and ends within {@link DecodeCostContract#QUICKLY} plus {@link
 *       DecodeCostContract#NANOS_PER_BYTE} per byte — the bounds every codec promises;
 *   <li>a value it yields is one the codec can carry: encoding it either succeeds and decodes back
 *       to an equal value, or is refused with a {@link CodecException}.
 * </ul>
 *
 * <p>An input's first byte chooses the message type (its low bits) and where the payload sits
 * (heap, direct, embedded, read-only: {@link BufferLayout}); the rest is the payload. {@link
 * #writeSeeds} writes each feature-matrix and contract sample, encoded, as a starting corpus.
 */
public final class CodecFuzzing {
  /** The message types an input can name, contract types first, then matrix types. */
  private static final List<Target> TARGETS = targets();

  private static final Set<String> WARM = ConcurrentHashMap.newKeySet();

  /**
   * Whether Jazzer is fuzzing (rather than running saved inputs as tests). Its hooks then run on
   * the decoding thread and allocate there too — a deep Kryo payload measured 523 KB fuzzing and
   * within its 299 KB bound as a test; a 92-byte {@code fury} payload that Fory refuses with a
   * {@code ClassCastException} 1.59 MB fuzzing and 24 KB as a test — so fuzzing judges allocation
   * at twice the bound plus {@link #INSTRUMENTATION_ALLOWANCE}, and the bound itself is checked
   * exactly when the inputs the fuzzer saves run as tests.
   */
  private static final boolean FUZZING = System.getenv("JAZZER_FUZZ") != null;

  private static final long INSTRUMENTATION_ALLOWANCE = 2 * 1024 * 1024;

  private CodecFuzzing() {}

  /** One message type of one registry. */
  private record Target(MessageTypes types, MessageTypes.Entry entry) {
    Class<?> type() {
      return entry.type();
    }
  }

  private static List<Target> targets() {
    List<Target> targets = new ArrayList<>();
    for (MessageTypes types : List.of(ContractTypes.TYPES, MatrixTypes.TYPES)) {
      for (MessageTypes.Entry entry : types.entries()) {
        targets.add(new Target(types, entry));
      }
    }
    return List.copyOf(targets);
  }

  /**
   * Decodes {@code input} with codec {@code codecName} as described in the class comment, and
   * asserts the invariants.
   *
   * @throws AssertionError naming the codec, the type and what was broken
   */
  public static void decode(String codecName, byte[] input) {
    int selector = input.length == 0 ? 0 : input[0] & 0xFF;
    Target target = TARGETS.get(selector % TARGETS.size());
    BufferLayout layout = layout(selector / TARGETS.size());
    byte[] payload =
        input.length == 0 ? input : java.util.Arrays.copyOfRange(input, 1, input.length);
    Codec codec = ContractCodecs.codec(codecName, target.types(), CodecLimits.defaults());
    warmUp(codecName, codec, target);
    long limit =
        DecodeCostContract.MAX_ALLOCATION_PER_BYTE * (long) payload.length
            + DecodeCostContract.ALLOCATION_ALLOWANCE;
    if (FUZZING) {
      limit = 2 * limit + INSTRUMENTATION_ALLOWANCE;
    }
    long maxNanos =
        DecodeCostContract.QUICKLY.toNanos() + DecodeCostContract.NANOS_PER_BYTE * payload.length;
    Decoded decoded = Decoded.of(codecName, codec, target.type(), layout.place(payload));
    if (decoded.allocated() > limit || decoded.elapsedNanos() > maxNanos) {
      // the first pass through a path of a codec links classes and fills caches, and a shared
      // machine may pause any pass: judge a second
      decoded = Decoded.of(codecName, codec, target.type(), layout.place(payload));
    }
    Object value = decoded.value();
    long allocated = decoded.allocated();
    long elapsed = decoded.elapsedNanos();

    if (allocated >= 0) {
      assertThat(allocated)
          .as(
              "bytes allocated by %s decoding %d bytes as %s from %s",
              codecName, payload.length, target.type().getName(), layout)
          .isLessThanOrEqualTo(limit);
    }
    assertThat(elapsed)
        .as("nanoseconds %s took to decode %d bytes", codecName, payload.length)
        .isLessThanOrEqualTo(maxNanos);
    if (value == null) {
      return;
    }
    assertThat(value).as("what %s decoded", codecName).isInstanceOf(target.type());
    byte[] again;
    try {
      again = ContractCodecs.encode(codec, value);
    } catch (CodecException refused) {
      return; // accepted leniently, refused on the way out: nothing wrong reaches a peer
    }
    Object back;
    try {
      back = codec.decode(target.type(), ByteBuffer.wrap(again));
    } catch (CodecException e) {
      throw new AssertionError(
          codecName
              + " cannot decode what it encoded of "
              + value
              + " ("
              + again.length
              + " bytes: "
              + Hex.encode(again)
              + ")",
          e);
    }
    if (!DeepEquals.deepEquals(back, value)) {
      // deep, by content: a lenient decode may put arrays where the type's generics say nothing
      // (an Optional<?>, a List<Object>, a map key or a Set element of kryo or fury holding an
      // Object[]), and equals compares those by identity
      assertThat(back)
          .as("%s decoded from what %s encoded of a value it decoded", target.type(), codecName)
          .isEqualTo(value);
    }
  }

  /** What one decode yielded (null when refused), and what it cost. */
  private record Decoded(Object value, long allocated, long elapsedNanos) {
    static Decoded of(String codecName, Codec codec, Class<?> type, ByteBuffer buffer) {
      long startNanos = System.nanoTime();
      long before = Allocations.current();
      Object value;
      try {
        value = codec.decode(type, buffer);
      } catch (CodecException refused) {
        value = null;
      } catch (Throwable t) {
        throw new AssertionError(
            "codec "
                + codecName
                + " decoding "
                + type.getName()
                + " threw "
                + t
                + " instead of a value or a CodecException",
            t);
      }
      return new Decoded(value, Allocations.since(before), System.nanoTime() - startNanos);
    }
  }

  private static BufferLayout layout(int choice) {
    BufferLayout[] layouts = BufferLayout.values();
    return layouts[choice % layouts.length];
  }

  /**
   * Decodes a valid message of the type once, unmeasured, so that what the codec does once per type
   * (building serializers, generating code) is not counted against a payload.
   */
  private static void warmUp(String codecName, Codec codec, Target target) {
    if (!WARM.add(codecName + " " + target.types().appProtocol() + " " + target.type())) {
      return;
    }
    for (Object sample : samples(target)) {
      try {
        codec.decode(target.type(), ByteBuffer.wrap(ContractCodecs.encode(codec, sample)));
      } catch (CodecException e) {
        // a value this codec does not carry
      }
    }
  }

  private static List<Object> samples(Target target) {
    List<Object> samples = new ArrayList<>();
    if (target.types() == ContractTypes.TYPES) {
      for (ContractSamples.Sample sample : ContractSamples.all()) {
        if (sample.type() == target.type() && sample.message() != null) {
          samples.add(sample.message());
        }
      }
    } else {
      for (FeatureMatrix.Cell cell : FeatureMatrix.cells()) {
        if (cell.type() == target.type()) {
          samples.add(cell.message());
        }
      }
    }
    return samples;
  }

  /**
   * Writes a starting corpus for codec {@code codecName} into {@code directory}: each sample of
   * {@link ContractSamples} and {@link FeatureMatrix} of at most {@code maxBytes} encoded, behind
   * the selector byte of its type, one file per sample. Samples the codec refuses are left out.
   *
   * @return how many files were written
   */
  public static int writeSeeds(String codecName, Path directory, int maxBytes) {
    Map<String, byte[]> seeds = new java.util.TreeMap<>();
    for (int i = 0; i < TARGETS.size(); i++) {
      Target target = TARGETS.get(i);
      Codec codec = ContractCodecs.codec(codecName, target.types(), CodecLimits.defaults());
      int n = 0;
      for (Object sample : samples(target)) {
        byte[] payload;
        try {
          payload = ContractCodecs.encode(codec, sample);
        } catch (CodecException e) {
          continue;
        }
        if (payload.length + 1 > maxBytes) {
          continue;
        }
        byte[] input = new byte[payload.length + 1];
        input[0] = (byte) i;
        System.arraycopy(payload, 0, input, 1, payload.length);
        seeds.put(String.format("seed-%02d-%s-%d", i, target.type().getSimpleName(), n++), input);
      }
    }
    try {
      Files.createDirectories(directory);
      for (Map.Entry<String, byte[]> seed : seeds.entrySet()) {
        Files.write(directory.resolve(seed.getKey()), seed.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return seeds.size();
  }
}
