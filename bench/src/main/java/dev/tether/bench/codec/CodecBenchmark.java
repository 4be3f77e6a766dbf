package dev.tether.bench.codec;

import dev.tether.bench.support.BenchMessages;
import dev.tether.bench.support.Codecs;
import dev.tether.codec.Codec;
import dev.tether.codec.EncodeBuffer;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A Tether codec, as the transport calls it: encode into an {@link EncodeBuffer}, decode a view.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBenchmark {
  @Param({"json", "cbor", "kryo", "fury"})
  public String codec;

  @Param({"small", "medium", "large"})
  public String message;

  private Codec tether;
  private Object sample;
  private Class<?> type;
  private final EncodeBuffer buffer = new EncodeBuffer(128 * 1024);
  private ByteBuffer encoded;

  @Setup
  public void setUp() {
    tether = Codecs.create(codec, BenchMessages.TYPES);
    sample = BenchMessages.sample(message);
    type = sample.getClass();
    buffer.reset(Integer.MAX_VALUE);
    tether.encode(sample, buffer);
    encoded = ByteBuffer.wrap(Arrays.copyOf(buffer.array(), buffer.position()));
  }

  @Benchmark
  public int encode() {
    buffer.reset(Integer.MAX_VALUE);
    tether.encode(sample, buffer);
    return buffer.position();
  }

  @Benchmark
  public Object decode() {
    return tether.decode(type, encoded.duplicate());
  }

  @Benchmark
  public Object roundTrip() {
    buffer.reset(Integer.MAX_VALUE);
    tether.encode(sample, buffer);
    return tether.decode(type, ByteBuffer.wrap(buffer.array(), 0, buffer.position()));
  }
}
