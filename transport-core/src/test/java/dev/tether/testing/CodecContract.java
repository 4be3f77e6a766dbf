package dev.tether.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.codec.Codec;
import dev.tether.codec.CodecProvider;
import dev.tether.codec.EncodeBuffer;
import dev.tether.testing.ContractSamples.Sample;
import dev.tether.testing.ContractTypes.Scalars;
import dev.tether.testing.ContractTypes.Temporal;
import dev.tether.testing.ContractTypes.Text;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every codec must carry, and how it must treat the buffers Tether hands it. Each codec module
 * runs this unchanged by extending it and naming its codec:
 *
 * <pre>{@code
 * class JsonCodecContractTest extends CodecContract {
 *   @Override
 *   protected String codecName() {
 *     return "json";
 *   }
 * }
 * }</pre>
 *
 * <p>The codec is found the way Tether finds it, through {@link java.util.ServiceLoader}, and
 * created for {@link ContractTypes#TYPES}. Every message of {@link ContractSamples} must come back
 * equal after a round trip (records compare {@code double} and {@code float} components with {@link
 * Double#compare}, so {@code NaN} equals {@code NaN} and {@code -0.0} does not equal {@code 0.0}),
 * decoded from every {@link BufferLayout}: heap and direct buffers, alone and with the payload
 * embedded between other bytes (position not 0, limit before capacity, a backing array with an
 * offset, an odd address), writable and read-only. The codec must not write to the buffer it
 * decodes. Encoding must be deterministic and must append at the {@link EncodeBuffer}'s position,
 * since Tether writes the frame header in front first. One codec instance serves every thread at
 * once, as {@link Codec} requires.
 *
 * <p>A codec that cannot carry {@link Instant} and {@link UUID} says so by overriding {@link
 * #supportsTemporal()}; the {@link Temporal} samples are then reported as skipped, with the reason,
 * rather than passed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class CodecContract {
  /** Returns the name (or an alias) under which the codec under test is registered. */
  protected abstract String codecName();

  /**
   * Returns whether the codec carries {@link Instant} (to the nanosecond) and {@link UUID}. A codec
   * that cannot overrides this to return false, and documents it; the contract then skips the
   * {@link Temporal} samples instead of failing them.
   */
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

  private void assumeCarried(Sample sample) {
    assumeTrue(
        supportsTemporal() || !sample.isTemporal(),
        () -> codecName() + " declares that it cannot carry Instant and UUID");
  }

  @Test
  void providerIsFoundByNameAndCreatesACodecCarryingItsWireName() {
    CodecProvider provider = ContractCodecs.provider(codecName());

    assertThat(codec().name()).isEqualTo(provider.name());
    assertThat(provider.create(ContractTypes.TYPES).name()).isEqualTo(provider.name());
    assertThat(provider.name()).matches("[a-z0-9][a-z0-9._-]{0,254}");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void roundTripsThroughHeapDirectAndEmbeddedBuffers(Sample sample) {
    assumeCarried(sample);
    byte[] payload = ContractCodecs.encode(codec(), sample.message());

    for (BufferLayout layout : BufferLayout.values()) {
      ByteBuffer buffer = layout.place(payload);
      byte[] before = BufferLayout.contents(buffer);

      Object decoded = codec().decode(sample.type(), buffer);

      assertThat(decoded).as("%s decoded from %s", sample, layout).isEqualTo(sample.message());
      assertThat(BufferLayout.contents(buffer))
          .as("the codec must not write to the buffer it decodes (%s)", layout)
          .isEqualTo(before);
    }
  }

  @Test
  void keepsEveryBitOfFloatingPointAndIntegerExtremes() {
    Scalars zeroAndNan =
        new Scalars(true, (byte) 0, (short) 0, 'x', 0, 0L, -0.0f, Double.NaN, 0, 0L, -0.0);
    Scalars extremes =
        new Scalars(
            false,
            Byte.MIN_VALUE,
            Short.MIN_VALUE,
            Character.MAX_VALUE,
            Integer.MIN_VALUE,
            Long.MIN_VALUE,
            Float.MIN_VALUE,
            Double.NEGATIVE_INFINITY,
            Integer.MIN_VALUE,
            Long.MAX_VALUE,
            Double.POSITIVE_INFINITY);

    Scalars first = roundTrip(zeroAndNan);
    Scalars second = roundTrip(extremes);

    // -0.0 == 0.0 in Java, so the sign is checked on the bits.
    assertThat(Float.floatToRawIntBits(first.f())).isEqualTo(Float.floatToRawIntBits(-0.0f));
    assertThat(Double.doubleToRawLongBits(first.boxedDouble()))
        .isEqualTo(Double.doubleToRawLongBits(-0.0));
    assertThat(Double.isNaN(first.d())).as("NaN stays NaN").isTrue();
    assertThat(second.b()).isEqualTo(Byte.MIN_VALUE);
    assertThat(second.s()).isEqualTo(Short.MIN_VALUE);
    assertThat(second.c()).isEqualTo(Character.MAX_VALUE);
    assertThat(second.i()).isEqualTo(Integer.MIN_VALUE);
    assertThat(second.l()).isEqualTo(Long.MIN_VALUE);
    assertThat(Float.floatToRawIntBits(second.f()))
        .isEqualTo(Float.floatToRawIntBits(Float.MIN_VALUE));
    assertThat(second.d()).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(second.boxedInt()).isEqualTo(Integer.MIN_VALUE);
    assertThat(second.boxedLong()).isEqualTo(Long.MAX_VALUE);
    assertThat(second.boxedDouble()).isEqualTo(Double.POSITIVE_INFINITY);
  }

  @Test
  void keepsAstralPlaneCharactersAsCodePoints() {
    Text text = roundTrip(new Text("𝄞", "😀"));

    assertThat(text.value().codePoints().toArray()).containsExactly(0x1D11E);
    assertThat(text.nullable().codePoints().toArray()).containsExactly(0x1F600);
  }

  @Test
  void carriesInstantToTheNanosecondAndUuid() {
    assumeTrue(supportsTemporal(), () -> codecName() + " declares it cannot carry Instant/UUID");
    Instant at = Instant.parse("2024-05-01T12:00:00.123456789Z");
    UUID id = UUID.fromString("123e4567-e89b-12d3-a456-426614174000");

    Temporal temporal = roundTrip(new Temporal(at, id));

    assertThat(temporal.at().getEpochSecond()).isEqualTo(at.getEpochSecond());
    assertThat(temporal.at().getNano()).isEqualTo(123_456_789);
    assertThat(temporal.id()).isEqualTo(id);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void encodesTheSameMessageToTheSameBytesEveryTime(Sample sample) {
    assumeCarried(sample);
    byte[] first = ContractCodecs.encode(codec(), sample.message());
    EncodeBuffer reused = new EncodeBuffer(16);
    codec().encode(new Text("something else first", null), reused);
    reused.reset(1 << 20);

    byte[] second = ContractCodecs.encode(codec(), sample.message());
    codec().encode(sample.message(), reused);

    assertThat(second).as("encoded twice").isEqualTo(first);
    assertThat(Arrays.copyOf(reused.array(), reused.position()))
        .as("encoded into a reused buffer")
        .isEqualTo(first);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void appendsAtTheBufferPositionWithoutTouchingEarlierBytes(Sample sample) {
    assumeCarried(sample);
    byte[] alone = ContractCodecs.encode(codec(), sample.message());
    byte[] header = garbage(13, 1);
    EncodeBuffer out = new EncodeBuffer(16); // 13 bytes in, so nearly any message makes it grow
    out.write(header, 0, header.length);

    codec().encode(sample.message(), out);

    assertThat(out.position()).isEqualTo(header.length + alone.length);
    assertThat(Arrays.copyOf(out.array(), header.length)).isEqualTo(header);
    assertThat(Arrays.copyOfRange(out.array(), header.length, out.position())).isEqualTo(alone);
    Object decoded =
        codec().decode(sample.type(), ByteBuffer.wrap(out.array(), header.length, alone.length));
    assertThat(decoded).isEqualTo(sample.message());
  }

  @Test
  void canBeUsedFromManyThreadsAtOnce() throws Exception {
    List<Sample> samples =
        ContractSamples.all().stream()
            .filter(s -> supportsTemporal() || !s.isTemporal())
            .filter(s -> ContractCodecs.encode(codec(), s.message()).length < 64 * 1024)
            .toList();
    int threads = 8;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<CompletableFuture<Void>> runs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int offset = t;
        runs.add(
            CompletableFuture.runAsync(
                () -> {
                  await(start);
                  for (int i = 0; i < 50 * samples.size(); i++) {
                    Sample sample = samples.get((i + offset) % samples.size());
                    byte[] bytes = ContractCodecs.encode(codec(), sample.message());
                    ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
                    assertThat(codec().decode(sample.type(), buffer))
                        .as("%s on thread %d", sample, offset)
                        .isEqualTo(sample.message());
                  }
                },
                pool));
      }
      start.countDown();

      CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).get(50, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("start signal never came");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private <T> T roundTrip(T message) {
    byte[] payload = ContractCodecs.encode(codec(), message);
    @SuppressWarnings("unchecked")
    Class<T> type = (Class<T>) message.getClass();
    T decoded = codec().decode(type, ByteBuffer.wrap(payload));
    assertThat(decoded).isEqualTo(message);
    return decoded;
  }

  /** Seeded bytes, so a codec that reads outside position..limit fails the same way each run. */
  private static byte[] garbage(int length, long seed) {
    byte[] bytes = new byte[length];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }
}
