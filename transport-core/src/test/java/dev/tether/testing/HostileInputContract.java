package dev.tether.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.testing.ContractSamples.Sample;
import dev.tether.testing.ContractTypes.Bytes;
import dev.tether.testing.ContractTypes.Collections;
import dev.tether.testing.ContractTypes.Deep;
import dev.tether.testing.ContractTypes.Nested;
import dev.tether.testing.ContractTypes.Text;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bytes a hostile or broken peer may send, and what a codec must do with them: end in a {@link
 * CodecException}, within {@link #QUICKLY}, and never in anything else — not an {@link
 * OutOfMemoryError}, a {@link StackOverflowError}, an {@link IllegalArgumentException} or a hang.
 * Each codec module runs it by extending it, naming its codec and supplying the payloads only it
 * can craft:
 *
 * <ul>
 *   <li>{@link #oversizedLengthPayloads()}: bytes that declare a length or count far beyond what
 *       follows;
 *   <li>{@link #deeplyNestedPayload()}: a {@link Deep} nested far past any sane depth;
 *   <li>{@link #unregisteredClassPayload()}: a payload naming a class that is not registered.
 * </ul>
 *
 * <p>"Ends in a {@link CodecException}" means exactly that class, not a subclass and not a wrapper
 * around one, with a message that names the message type, as {@link CodecException} asks.
 *
 * <p>Every decode is bounded preemptively, as {@link
 * org.junit.jupiter.api.Assertions#assertTimeoutPreemptively} bounds it: it runs on a worker thread
 * and the test fails, naming the payload, if it has not finished within {@link #QUICKLY}. The
 * worker is reused from one decode to the next, because JUnit's starts a thread per call and would
 * spend thirty times longer on that than on the forty thousand decodes here. Where the payload is
 * small, the decode's allocation is measured with {@link
 * com.sun.management.ThreadMXBean#getThreadAllocatedBytes(long)}: a codec must check a declared
 * length against the bytes remaining before it allocates. Random payloads come from fixed seeds,
 * and a failure prints the seed, the index and the payload in hex.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class HostileInputContract {
  /** How long one decode of a hostile payload may take. */
  protected static final Duration QUICKLY = Duration.ofSeconds(2);

  /**
   * The most one decode of a small hostile payload may allocate. A few bytes that declare 2 GiB
   * must not make the codec reserve it; parsing them legitimately takes kilobytes.
   */
  protected static final long MAX_ALLOCATED_BYTES = 16L * 1024 * 1024;

  /** Random payloads per message type, and mutations of a valid encoding per message type. */
  private static final int RANDOM_PAYLOADS = 2_000;

  private static final long SEED = 0x7E7E_C0DEL;

  /**
   * Encodings up to this size are cut at every length; longer ones at their first and last 16 bytes
   * and 16 seeded places between, since each cut of a 4 MiB message costs milliseconds.
   */
  private static final int CUT_EVERYWHERE_BELOW = 4096;

  /** The message types whose first component carries a length or count. */
  private static final List<Class<?>> LENGTH_BEARING_TYPES =
      List.of(Text.class, Bytes.class, Nested.class, Collections.class);

  private ExecutorService worker;

  /** Returns the name (or an alias) under which the codec under test is registered. */
  protected abstract String codecName();

  /**
   * Returns payloads that declare a length or count far larger than the bytes that follow, such as
   * a string or array of 2<sup>31</sup>-1 elements followed by three bytes. Each is decoded as
   * every message type whose first component has a length or count — {@link Text}, {@link Bytes},
   * {@link Nested} and {@link Collections} — and every decode must end in {@link CodecException}
   * within {@link #QUICKLY} having allocated less than {@link #MAX_ALLOCATED_BYTES}. A codec whose
   * format has no length prefixes (JSON) supplies its nearest equivalent: values that open and
   * never close.
   */
  protected abstract List<byte[]> oversizedLengthPayloads();

  /**
   * Returns a payload that decodes, as {@link Deep}, to a nesting far deeper than the codec's depth
   * limit (100,000 levels, say). Decoding it must end in {@link CodecException}, not in a {@link
   * StackOverflowError}.
   */
  protected abstract byte[] deeplyNestedPayload();

  /**
   * Returns a payload that names a class the codec must not instantiate, decoded as {@link
   * Collections}, whose fields are declared as interfaces, so that a codec that writes classes
   * writes one for each. Put the class where the codec reads one: at the top level if it writes a
   * class there, else in place of the first interface-typed field it reads. For Kryo and Fory: a
   * real instance of an unregistered JDK class, serialized by the library itself with registration
   * turned off; for JSON and CBOR: the shapes polymorphic typing would use, such as {@code
   * ["java.util.HashMap",{}]}.
   */
  protected abstract byte[] unregisteredClassPayload();

  /** As {@link CodecContract#supportsTemporal()}: false skips the {@code Temporal} samples. */
  protected boolean supportsTemporal() {
    return true;
  }

  /** Returns the codec under test, created for {@link ContractTypes#TYPES}. */
  protected final Codec codec() {
    return ContractCodecs.codec(codecName());
  }

  static List<Sample> samples() {
    return ContractSamples.all();
  }

  static List<Class<?>> messageTypes() {
    return ContractTypes.TYPES.entries().stream().<Class<?>>map(MessageTypes.Entry::type).toList();
  }

  // ---------------------------------------------------------------- truncated and random bytes

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void rejectsEveryTruncationOfAValidEncoding(Sample sample) {
    assumeTrue(
        supportsTemporal() || !sample.isTemporal(),
        () -> codecName() + " declares that it cannot carry Instant and UUID");
    byte[] whole = ContractCodecs.encode(codec(), sample.message());

    for (int length : cutPoints(whole.length)) {
      byte[] cut = Arrays.copyOf(whole, length);
      assertRejected(sample.type(), cut, "%s cut to %d of %d bytes", sample, length, whole.length);
    }
  }

  /** Every length below the whole for short encodings; the ends and a seeded middle otherwise. */
  private static Iterable<Integer> cutPoints(int length) {
    TreeSet<Integer> cuts = new TreeSet<>();
    if (length <= CUT_EVERYWHERE_BELOW) {
      for (int i = 0; i < length; i++) {
        cuts.add(i);
      }
      return cuts;
    }
    Random random = new Random(SEED + length);
    for (int i = 0; i < 16; i++) {
      cuts.add(i);
      cuts.add(length - 1 - i);
      cuts.add(random.nextInt(length));
    }
    return cuts;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("messageTypes")
  void decodesRandomBytesOrRejectsThemWithCodecExceptionOnly(Class<?> type) {
    warmUp(type);
    long seed = SEED + ContractTypes.TYPES.entryFor(type).id();
    Random random = new Random(seed);

    for (int i = 0; i < RANDOM_PAYLOADS; i++) {
      byte[] payload = new byte[random.nextInt(256)];
      random.nextBytes(payload);
      decodesOrRejects(type, payload, "random payload #%d of seed %d", i, seed);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("messageTypes")
  void decodesMutatedEncodingsOrRejectsThemWithCodecExceptionOnly(Class<?> type) {
    byte[] valid = smallValidEncoding(type);
    long seed = SEED * 31 + ContractTypes.TYPES.entryFor(type).id();
    Random random = new Random(seed);

    for (int i = 0; i < RANDOM_PAYLOADS; i++) {
      byte[] payload = mutate(valid, random);
      decodesOrRejects(type, payload, "mutation #%d of seed %d", i, seed);
    }
  }

  /** Overwrites, inserts or deletes a few bytes, or cuts the tail and appends random ones. */
  private static byte[] mutate(byte[] valid, Random random) {
    byte[] payload = valid.clone();
    int edits = 1 + random.nextInt(4);
    for (int e = 0; e < edits; e++) {
      int at = payload.length == 0 ? 0 : random.nextInt(payload.length);
      switch (random.nextInt(4)) {
        case 0 -> {
          if (payload.length > 0) {
            payload[at] = (byte) random.nextInt(256);
          }
        }
        case 1 -> {
          byte[] longer = new byte[payload.length + 1];
          System.arraycopy(payload, 0, longer, 0, at);
          longer[at] = (byte) random.nextInt(256);
          System.arraycopy(payload, at, longer, at + 1, payload.length - at);
          payload = longer;
        }
        case 2 -> {
          if (payload.length > 0) {
            byte[] shorter = new byte[payload.length - 1];
            System.arraycopy(payload, 0, shorter, 0, at);
            System.arraycopy(payload, at + 1, shorter, at, payload.length - at - 1);
            payload = shorter;
          }
        }
        default -> {
          byte[] tail = new byte[random.nextInt(16)];
          random.nextBytes(tail);
          byte[] cut = Arrays.copyOf(payload, at + tail.length);
          System.arraycopy(tail, 0, cut, at, tail.length);
          payload = cut;
        }
      }
    }
    return payload;
  }

  // ---------------------------------------------------------------- crafted by the codec module

  @TestFactory
  Stream<DynamicTest> rejectsDeclaredLengthsBeyondThePayloadWithoutAllocatingThem() {
    List<byte[]> payloads = oversizedLengthPayloads();
    assertThat(payloads).as("oversizedLengthPayloads()").isNotEmpty();
    List<DynamicTest> tests = new ArrayList<>();
    for (int p = 0; p < payloads.size(); p++) {
      byte[] payload = payloads.get(p);
      for (Class<?> type : LENGTH_BEARING_TYPES) {
        int index = p;
        tests.add(
            DynamicTest.dynamicTest(
                "payload " + p + " as " + type.getSimpleName(),
                () -> {
                  warmUp(type);
                  assertRejected(type, payload, "oversized-length payload %d", index);
                }));
      }
    }
    return tests.stream();
  }

  @Test
  void refusesToEncodeAHundredThousandLevelsOrRefusesToDecodeThem() {
    Deep deep = ContractSamples.deep(100_000); // never print, compare or hash it: all recurse

    Object result =
        withinQuickly(
            () -> {
              try {
                return ContractCodecs.encode(codec(), deep);
              } catch (Throwable t) {
                return t;
              }
            },
            () -> codecName() + " took more than " + QUICKLY.toMillis() + " ms to encode it");

    if (result instanceof byte[] payload) {
      // The codec wrote it; then it must be the one to refuse reading it back.
      assertRejected(
          Deep.class, payload, "Deep nested 100,000 levels as %s encodes it", codecName());
    } else {
      assertThat((Throwable) result)
          .as("encoding Deep nested 100,000 levels")
          .isExactlyInstanceOf(CodecException.class);
    }
  }

  @Test
  void rejectsADeeplyNestedPayload() {
    warmUp(Deep.class);

    assertRejected(Deep.class, deeplyNestedPayload(), "deeplyNestedPayload()");
  }

  @Test
  void rejectsAPayloadNamingAnUnregisteredClass() {
    warmUp(Collections.class);

    assertRejected(Collections.class, unregisteredClassPayload(), "unregisteredClassPayload()");
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Decodes once from a heap buffer and once from a direct one; each must throw exactly {@link
   * CodecException} within {@link #QUICKLY} with a message naming the type, having allocated less
   * than {@link #MAX_ALLOCATED_BYTES} if the payload is small.
   */
  protected final void assertRejected(
      Class<?> type, byte[] payload, String description, Object... args) {
    String what = String.format(description, args);
    for (boolean direct : new boolean[] {false, true}) {
      Outcome outcome = decode(type, payload, direct, what);
      String where = (direct ? "direct" : "heap") + " buffer";
      assertThat(outcome.thrown())
          .as(
              "decoding %s as %s from a %s must throw CodecException, but returned %s; payload %s",
              what, type.getSimpleName(), where, outcome.decodedClass(), hexHead(payload))
          .isNotNull();
      assertThat(outcome.thrown())
          .as(
              "decoding %s as %s from a %s; payload %s",
              what, type.getSimpleName(), where, hexHead(payload))
          .isExactlyInstanceOf(CodecException.class);
      assertThat(outcome.thrown().getMessage())
          .as("the CodecException should name the type")
          .contains(type.getSimpleName());
      assertSmallAllocation(outcome, payload, what, type);
    }
  }

  /** Decodes; success and CodecException are both fine, anything else fails the test. */
  private void decodesOrRejects(Class<?> type, byte[] payload, String description, Object... args) {
    String what = String.format(description, args);
    Outcome outcome = decode(type, payload, false, what);
    if (outcome.thrown() == null) {
      assertThat(outcome.decodedClass())
          .as("decoding %s as %s returned an instance of another class", what, type)
          .isEqualTo(type.getName());
    } else {
      assertThat(outcome.thrown())
          .as("decoding %s as %s; payload %s", what, type.getSimpleName(), hexHead(payload))
          .isExactlyInstanceOf(CodecException.class);
    }
    assertSmallAllocation(outcome, payload, what, type);
  }

  private void assertSmallAllocation(Outcome outcome, byte[] payload, String what, Class<?> type) {
    if (outcome.allocatedBytes() >= 0 && payload.length <= 64 * 1024) {
      assertThat(outcome.allocatedBytes())
          .as(
              "bytes allocated decoding %s as %s (%d bytes of payload %s)",
              what, type.getSimpleName(), payload.length, hexHead(payload))
          .isLessThan(MAX_ALLOCATED_BYTES);
    }
  }

  /** What one decode did: the exception it threw (or null), and what it allocated (or -1). */
  private record Outcome(Throwable thrown, String decodedClass, long allocatedBytes) {}

  private Outcome decode(Class<?> type, byte[] payload, boolean direct, String what) {
    ByteBuffer buffer =
        direct
            ? ByteBuffer.allocateDirect(payload.length).put(payload).flip()
            : ByteBuffer.wrap(payload);
    Codec codec = codec();
    return withinQuickly(
        () -> {
          long before = Allocations.current();
          try {
            Object decoded = codec.decode(type, buffer);
            long allocated = Allocations.since(before);
            return new Outcome(
                null, decoded == null ? "null" : decoded.getClass().getName(), allocated);
          } catch (Throwable t) {
            return new Outcome(t, null, Allocations.since(before));
          }
        },
        () ->
            String.format(
                "decoding %s as %s took more than %d ms; payload %s",
                what, type.getSimpleName(), QUICKLY.toMillis(), hexHead(payload)));
  }

  /**
   * Runs {@code task} on the worker thread and returns its result, or fails the test if it takes
   * longer than {@link #QUICKLY}; a task that overran is interrupted and its worker abandoned.
   */
  private <T> T withinQuickly(Callable<T> task, Supplier<String> overran) {
    if (worker == null) {
      worker =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread thread = new Thread(r, "hostile-input-decoder");
                thread.setDaemon(true); // a decode that never returns must not keep the JVM up
                return thread;
              });
    }
    Future<T> future = worker.submit(task);
    try {
      return future.get(QUICKLY.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      worker.shutdownNow();
      worker = null;
      throw new AssertionError(overran.get(), e);
    } catch (ExecutionException e) {
      throw new AssertionError("the task itself failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for a decode", e);
    }
  }

  @AfterEach
  void stopWorker() {
    if (worker != null) {
      worker.shutdownNow();
    }
  }

  /** Decodes one valid message of {@code type}, so that first-use costs are not measured. */
  private void warmUp(Class<?> type) {
    byte[] valid = smallValidEncoding(type);
    Object decoded = codec().decode(type, ByteBuffer.wrap(valid));
    assertThat(decoded).as("a valid %s decodes", type.getSimpleName()).isNotNull();
  }

  private byte[] smallValidEncoding(Class<?> type) {
    return ContractSamples.all().stream()
        .filter(s -> s.type() == type)
        .map(s -> ContractCodecs.encode(codec(), s.message()))
        .filter(bytes -> bytes.length < CUT_EVERYWHERE_BELOW)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no small sample of " + type));
  }

  private static String hexHead(byte[] payload) {
    int shown = Math.min(payload.length, 64);
    return Hex.encode(Arrays.copyOf(payload, shown))
        + (shown < payload.length ? "… (" + payload.length + " bytes)" : "");
  }
}
