package dev.tether.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecLimits;
import dev.tether.testing.MatrixTypes.Chain;
import dev.tether.testing.MatrixTypes.Lists;
import dev.tether.testing.MatrixTypes.Maps;
import dev.tether.testing.MatrixTypes.Point;
import dev.tether.testing.MatrixTypes.PointArray;
import dev.tether.testing.MatrixTypes.RecordKeys;
import dev.tether.testing.MatrixTypes.RecordSet;
import dev.tether.testing.MatrixTypes.Sets;
import dev.tether.testing.MatrixTypes.TagKeys;
import dev.tether.testing.MatrixTypes.TagSet;
import dev.tether.testing.MatrixTypes.Untyped;
import dev.tether.testing.MatrixTypes.UntypedList;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * What a payload may cost its receiver, and one limit for both ends. Every codec module runs it
 * unchanged, naming its codec and adding the hostile payloads only it can craft.
 *
 * <p><b>Cost.</b> Decoding any payload, valid or hostile, must take at most {@link #QUICKLY} plus
 * {@link #NANOS_PER_BYTE} per payload byte, and allocate at most {@link #MAX_ALLOCATION_PER_BYTE}
 * bytes per payload byte plus {@link #ALLOCATION_ALLOWANCE}, measured with {@link Allocations} on
 * the decoding thread, and must end in a value or a {@link CodecException}. The payloads: those a
 * peer without limits writes (a set of 50,000 records sharing one hash code, a chain 1,000 levels
 * deep, a million-element list) and the codec's own {@link #craftedPayloads()}. Each outcome is
 * written to {@code target/decode-cost-<codec>.md}: the figures the modules' READMEs quote.
 *
 * <p><b>One limit for both ends.</b> What the decoder refuses, the encoder refuses first: a message
 * past {@link CodecLimits} fails to encode, on the sender's thread, with a {@link CodecException}
 * naming the limit, and the same message written by a peer without limits fails to decode.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
public abstract class DecodeCostContract {
  /**
   * How long one decode may take, plus {@link #NANOS_PER_BYTE} for each payload byte: time linear
   * in the payload, with room for a shared, loaded test machine. A quadratic decode blows through
   * it (50,000 records sharing one hash code, 1.3 MB of JSON, took 56 s).
   */
  protected static final Duration QUICKLY = Duration.ofSeconds(2);

  /**
   * How much longer a decode may take for each byte of payload: generous, because the machines
   * these tests run on are shared and loaded, and a garbage collection of a million-element message
   * may land in the measurement.
   */
  protected static final long NANOS_PER_BYTE = 2_000;

  /**
   * Bytes one decode may allocate per payload byte. A Java object costs 16 bytes or more and a
   * reference 4, so an element of one or two bytes legitimately becomes 20 to 60 bytes of heap (an
   * {@code Integer} in a {@code HashSet}: the integer, a hash node, a table slot).
   */
  protected static final int MAX_ALLOCATION_PER_BYTE = 64;

  /** Bytes one decode may allocate whatever its size: parser state, an exception and its trace. */
  protected static final long ALLOCATION_ALLOWANCE = 256 * 1024;

  /** Limits no payload here reaches: what a peer configured without limits would write. */
  protected static final CodecLimits UNLIMITED =
      new CodecLimits(1_000, Integer.MAX_VALUE, Integer.MAX_VALUE, 1_000);

  /** Small limits, so that one past them is cheap to build. */
  protected static final CodecLimits SMALL = new CodecLimits(20, 100, 8, 2);

  private final Map<String, String> measured = new LinkedHashMap<>();
  private ExecutorService worker;

  /** Returns the name (or an alias) under which the codec under test is registered. */
  protected abstract String codecName();

  /**
   * Returns hostile payloads only this codec can craft (declared counts that nest, parser-specific
   * constructs), each with the message type it is decoded as.
   */
  protected List<Crafted> craftedPayloads() {
    return List.of();
  }

  /**
   * Whether the codec carries a map as the key of a map. One that does not must refuse to encode
   * such a message; one that does must apply {@link CodecLimits#maxKeyNesting()}.
   */
  protected boolean carriesMapsAsKeys() {
    return true;
  }

  /** A hostile payload and the message type it is decoded as. */
  public record Crafted(String name, Class<?> type, byte[] payload) {}

  /** Returns the codec under test for {@link MatrixTypes#TYPES} with the given limits. */
  protected final Codec codec(CodecLimits limits) {
    return ContractCodecs.codec(codecName(), MatrixTypes.TYPES, limits);
  }

  // ---------------------------------------------------------------- one limit for both ends

  @Test
  void refusesToEncodeASetWithMoreElementsSharingAHashCodeThanTheLimit() {
    int limit = CodecLimits.DEFAULT_MAX_SAME_HASH_ELEMENTS;
    RecordSet atLimit = new RecordSet(new HashSet<>(FeatureMatrix.pointsSharingOneHash(limit)));
    RecordSet past = new RecordSet(new HashSet<>(FeatureMatrix.pointsSharingOneHash(limit + 1)));

    assertThat(ContractCodecs.roundTrip(codec(CodecLimits.defaults()), atLimit)).isEqualTo(atLimit);
    assertThatThrownBy(() -> ContractCodecs.encode(codec(CodecLimits.defaults()), past))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining(RecordSet.class.getName())
        .hasMessageContaining((limit + 1) + " that share the hashCode")
        .hasMessageContaining("maxSameHashElements");
  }

  @Test
  void refusesToEncodeAMapWithMoreKeysSharingAHashCodeThanTheLimit() {
    Map<Point, String> names = new HashMap<>();
    for (Point point : FeatureMatrix.pointsSharingOneHash(SMALL.maxSameHashElements() + 1)) {
      names.put(point, "p");
    }

    // A codec that carries no record keys at all refuses this too, for that reason.
    assertThatThrownBy(() -> ContractCodecs.encode(codec(SMALL), new RecordKeys(names)))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining(RecordKeys.class.getName());
  }

  @Test
  void carriesTheDeepestChainAndRefusesToEncodeOneLevelMore() {
    Chain deepest = FeatureMatrix.chain(SMALL.maxDepth());

    assertThat(chainLength(ContractCodecs.roundTrip(codec(SMALL), deepest)))
        .isEqualTo(SMALL.maxDepth());
    assertThatThrownBy(
            () -> ContractCodecs.encode(codec(SMALL), FeatureMatrix.chain(SMALL.maxDepth() + 1)))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining(Chain.class.getName())
        .hasMessageContaining(String.valueOf(SMALL.maxDepth()));
  }

  @Test
  void carriesKeysNestedToTheLimitAndRefusesToEncodeOneLevelMore() {
    Untyped deepest = new Untyped(FeatureMatrix.keysNested("leaf", SMALL.maxKeyNesting()));
    Untyped past = new Untyped(FeatureMatrix.keysNested("leaf", SMALL.maxKeyNesting() + 1));

    if (!carriesMapsAsKeys()) {
      assertThatThrownBy(() -> ContractCodecs.encode(codec(SMALL), deepest))
          .isExactlyInstanceOf(CodecException.class);
      return;
    }
    assertThat(ContractCodecs.roundTrip(codec(SMALL), deepest)).isEqualTo(deepest);
    assertThatThrownBy(() -> ContractCodecs.encode(codec(SMALL), past))
        .isExactlyInstanceOf(CodecException.class)
        .hasMessageContaining(Untyped.class.getName())
        .hasMessageContaining("map keys nest " + (SMALL.maxKeyNesting() + 1) + " deep")
        .hasMessageContaining("maxKeyNesting");
  }

  @Test
  void carriesTheMostElementsAndRefusesToEncodeOneMore() {
    int limit = SMALL.maxElements();
    Codec codec = codec(SMALL);
    for (int count : new int[] {limit, limit + 1}) {
      List<Object> messages =
          List.of(
              new Lists(null, ints(count)),
              new Sets(null, new HashSet<>(ints(count))),
              new Maps(stringKeys(count)),
              new PointArray(points(count)),
              new UntypedList(new ArrayList<>(ints(count))));
      for (Object message : messages) {
        if (count == limit) {
          assertThat(ContractCodecs.roundTrip(codec, message))
              .as("%s at the limit", name(message))
              .isEqualTo(message);
        } else {
          assertThatThrownBy(() -> ContractCodecs.encode(codec, message))
              .as("%s past the limit", name(message))
              .isExactlyInstanceOf(CodecException.class)
              .hasMessageContaining(message.getClass().getName())
              .hasMessageContaining("maxElements");
        }
      }
    }
  }

  @Test
  void refusesToDecodeWhatAPeerWithoutLimitsSends() {
    Codec unlimited = codec(UNLIMITED);
    Codec limited = codec(SMALL);
    List<Object> messages = new ArrayList<>();
    if (carriesMapsAsKeys()) {
      messages.add(new Untyped(FeatureMatrix.keysNested("leaf", SMALL.maxKeyNesting() + 1)));
    }
    messages.addAll(
        List.of(
            FeatureMatrix.chain(SMALL.maxDepth() + 1),
            new Lists(null, ints(SMALL.maxElements() + 1)),
            new Sets(null, new HashSet<>(ints(SMALL.maxElements() + 1))),
            new Maps(stringKeys(SMALL.maxElements() + 1)),
            new PointArray(points(SMALL.maxElements() + 1)),
            new RecordSet(
                new HashSet<>(
                    FeatureMatrix.pointsSharingOneHash(SMALL.maxSameHashElements() + 1)))));
    for (Object message : messages) {
      byte[] payload = ContractCodecs.encode(unlimited, message);
      for (BufferLayout layout : List.of(BufferLayout.HEAP, BufferLayout.DIRECT)) {
        assertThatThrownBy(() -> limited.decode(message.getClass(), layout.place(payload)))
            .as("%s from a peer without limits, %s", name(message), layout)
            .isExactlyInstanceOf(CodecException.class)
            .hasMessageContaining(message.getClass().getName());
      }
    }
  }

  // ---------------------------------------------------------------- what a payload may cost

  @TestFactory
  Stream<DynamicTest> decodesEveryHostilePayloadWithinItsCostBounds() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Map.Entry<String, Supplier<Object>> hostile : unlimitedMessages().entrySet()) {
      tests.add(
          DynamicTest.dynamicTest(
              hostile.getKey(),
              () -> {
                Object message = hostile.getValue().get();
                byte[] payload;
                try {
                  payload = ContractCodecs.encode(codec(UNLIMITED), message);
                } catch (CodecException e) {
                  // Not even a peer without limits can write it (a record as map key in JSON).
                  measured.put(hostile.getKey(), "| | cannot be encoded at all | | | |");
                  return;
                }
                assertCheap(new Crafted(hostile.getKey(), message.getClass(), payload));
              }));
    }
    for (Crafted crafted : craftedPayloads()) {
      tests.add(DynamicTest.dynamicTest(crafted.name(), () -> assertCheap(crafted)));
    }
    return tests.stream();
  }

  /** Messages only a peer without limits writes, each built when its test runs. */
  private static Map<String, Supplier<Object>> unlimitedMessages() {
    Map<String, Supplier<Object>> messages = new LinkedHashMap<>();
    messages.put(
        "Set of 50,000 records sharing one hash code",
        () -> new TagSet(FeatureMatrix.tagsSharingOneHash(50_000)));
    messages.put(
        "Map of 50,000 record keys sharing one hash code",
        () -> new TagKeys(FeatureMatrix.tagKeysSharingOneHash(50_000)));
    messages.put(
        "Set of 4,096 records in groups of 64 sharing a hash code (the most allowed)",
        () ->
            new TagSet(
                FeatureMatrix.tagsInGroupsSharingAHash(
                    4_096, CodecLimits.DEFAULT_MAX_SAME_HASH_ELEMENTS)));
    messages.put("Chain of 1,000 records", () -> FeatureMatrix.chain(1_000));
    messages.put(
        "Set of two maps, alike but for a key nested 32 maps deep (null values, one hash code)",
        () -> new Untyped(FeatureMatrix.twoMapsNestingKeys(32)));
    messages.put(
        "List of 1,100,000 integers (over maxElements)", () -> new Lists(null, ints(1_100_000)));
    messages.put(
        "List of 262,144 nulls",
        () -> new Lists(new ArrayList<>(Collections.nCopies(1 << 18, null)), null));
    messages.put(
        "List<Object> of 262,144 empty lists",
        () -> {
          List<Object> lists = new ArrayList<>();
          for (int i = 0; i < 1 << 18; i++) {
            lists.add(new ArrayList<>());
          }
          return new UntypedList(lists);
        });
    messages.put(
        "Set of 262,144 distinct integers", () -> new Sets(null, new HashSet<>(ints(1 << 18))));
    messages.put(
        "Set of 262,144 distinct records",
        () -> {
          HashSet<Point> points = new HashSet<>();
          for (int i = 0; i < 1 << 18; i++) {
            points.add(new Point(i, i >> 3, null));
          }
          return new RecordSet(points);
        });
    messages.put("Map of 262,144 string keys", () -> new Maps(stringKeys(1 << 18)));
    return messages;
  }

  private void assertCheap(Crafted crafted) {
    Codec codec = codec(CodecLimits.defaults());
    byte[] payload = crafted.payload();
    warmUp(codec, crafted);
    for (BufferLayout layout : List.of(BufferLayout.HEAP, BufferLayout.DIRECT)) {
      ByteBuffer buffer = layout.place(payload);
      long[] allocated = new long[1];
      long start = System.nanoTime();
      Duration allowed = QUICKLY.plusNanos(NANOS_PER_BYTE * payload.length);
      Throwable thrown =
          within(
              allowed,
              () -> {
                long before = Allocations.current();
                try {
                  codec.decode(crafted.type(), buffer);
                  return null;
                } catch (Throwable t) {
                  return t;
                } finally {
                  allocated[0] = Allocations.since(before);
                }
              },
              crafted.name());
      long micros = (System.nanoTime() - start) / 1_000;
      if (layout == BufferLayout.HEAP) {
        measured.put(
            crafted.name(),
            String.format(
                "| %,d | %s | %,.1f ms | %,d | %.1f× |",
                payload.length,
                thrown == null ? "decoded" : "refused",
                micros / 1000.0,
                allocated[0],
                allocated[0] / (double) payload.length));
      }
      if (thrown != null) {
        assertThat(thrown)
            .as("decoding %s from %s", crafted.name(), layout)
            .isExactlyInstanceOf(CodecException.class);
        // an OutOfMemoryError caught and reported is still one: it fails other threads' allocations
        // meanwhile, and a JVM run with -XX:+ExitOnOutOfMemoryError exits on it
        for (Throwable cause = thrown; cause != null; cause = cause.getCause()) {
          assertThat(cause)
              .as("what the refusal of %s from %s came from", crafted.name(), layout)
              .isNotInstanceOf(OutOfMemoryError.class);
        }
      }
      if (allocated[0] >= 0) {
        assertThat(allocated[0])
            .as(
                "bytes allocated decoding %s (%,d bytes) from %s",
                crafted.name(), payload.length, layout)
            .isLessThanOrEqualTo(
                MAX_ALLOCATION_PER_BYTE * (long) payload.length + ALLOCATION_ALLOWANCE);
      }
    }
  }

  /**
   * Decodes a valid message of the payload's type once, unmeasured, so that what the codec does
   * once per type (building its readers, generating code) is not counted against the payload; a
   * type with no feature-matrix cell warms up on the payload itself.
   */
  private void warmUp(Codec codec, Crafted crafted) {
    try {
      Object valid =
          FeatureMatrix.cells().stream()
              .filter(cell -> cell.type() == crafted.type())
              .map(FeatureMatrix.Cell::message)
              .findFirst()
              .orElse(null);
      byte[] warm = valid == null ? crafted.payload() : ContractCodecs.encode(codec, valid);
      within(
          QUICKLY.plusNanos(NANOS_PER_BYTE * warm.length),
          () -> decodeQuietly(codec, crafted.type(), warm),
          crafted.name());
    } catch (CodecException e) {
      // a type the codec refuses to encode: nothing to warm up with
    }
  }

  private static Object decodeQuietly(Codec codec, Class<?> type, byte[] payload) {
    try {
      return codec.decode(type, ByteBuffer.wrap(payload));
    } catch (CodecException e) {
      return e;
    }
  }

  /** Writes what each payload cost, for the README. */
  @AfterAll
  void writeMeasurements() throws IOException {
    if (worker != null) {
      worker.shutdownNow();
    }
    if (measured.isEmpty()) {
      return;
    }
    StringBuilder table =
        new StringBuilder(
            "| "
                + codecName()
                + ": payload | bytes | outcome | decode time | bytes allocated | per payload byte"
                + " |\n|---|---:|---|---:|---:|---:|\n");
    measured.forEach(
        (name, row) -> table.append("| ").append(name).append(' ').append(row).append('\n'));
    Path target = Path.of("target");
    if (Files.isDirectory(target)) {
      Files.writeString(target.resolve("decode-cost-" + codecName() + ".md"), table);
    }
  }

  // ---------------------------------------------------------------- helpers

  private static int chainLength(Object chain) {
    int length = 0;
    for (Chain c = (Chain) chain; c != null; c = c.next()) {
      length++;
    }
    return length;
  }

  private static List<Integer> ints(int count) {
    return IntStream.range(0, count).map(i -> i * 7919).boxed().toList();
  }

  private static Map<String, Integer> stringKeys(int count) {
    Map<String, Integer> map = new HashMap<>();
    for (int i = 0; i < count; i++) {
      map.put("k" + i, i);
    }
    return map;
  }

  private static Point[] points(int count) {
    Point[] points = new Point[count];
    for (int i = 0; i < count; i++) {
      points[i] = new Point(i, -i, null);
    }
    return points;
  }

  private static String name(Object message) {
    return message.getClass().getSimpleName();
  }

  /** Runs {@code task} on the worker thread; fails the test if it takes longer than allowed. */
  private <T> T within(Duration allowed, java.util.concurrent.Callable<T> task, String what) {
    if (worker == null) {
      worker =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread thread = new Thread(r, "decode-cost");
                thread.setDaemon(true); // a decode that never returns must not keep the JVM up
                return thread;
              });
    }
    Future<T> future = worker.submit(task);
    try {
      return future.get(allowed.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      worker.shutdownNow();
      worker = null;
      measured.put(what, "| | still decoding after " + allowed.toMillis() + " ms | | | |");
      throw new AssertionError(
          "decoding " + what + " took more than " + allowed.toMillis() + " ms", e);
    } catch (ExecutionException e) {
      throw new AssertionError("the task itself failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for a decode", e);
    }
  }
}
