package dev.tether.bench.codec;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import dev.tether.bench.support.BenchMessages;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.fory.Fory;
import org.apache.fory.config.Language;
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
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.cbor.CBORMapper;

/**
 * The serialization libraries called directly, as a user would without Tether: the baseline for
 * {@link CodecBenchmark}. Same messages, same parameters, same run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LibraryBenchmark {
  @Param({"json", "cbor", "kryo", "fury"})
  public String codec;

  @Param({"small", "medium", "large"})
  public String message;

  private Object sample;
  private Class<?> type;
  private byte[] encoded;
  private Library library;

  /** One library's plain encode and decode. */
  private interface Library {
    byte[] encode(Object message);

    Object decode(byte[] bytes, Class<?> type);
  }

  @Setup
  public void setUp() {
    sample = BenchMessages.sample(message);
    type = sample.getClass();
    library =
        switch (codec) {
          case "json" -> jackson(JsonMapper.builder().build());
          case "cbor" -> jackson(CBORMapper.builder().build());
          case "kryo" -> kryo();
          case "fury" -> fory();
          default -> throw new IllegalArgumentException(codec);
        };
    encoded = library.encode(sample);
  }

  private static Library jackson(ObjectMapper mapper) {
    return new Library() {
      @Override
      public byte[] encode(Object message) {
        return mapper.writeValueAsBytes(message);
      }

      @Override
      public Object decode(byte[] bytes, Class<?> type) {
        return mapper.readValue(bytes, type);
      }
    };
  }

  private static Library kryo() {
    Kryo kryo = new Kryo();
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    kryo.register(BenchMessages.Small.class);
    kryo.register(BenchMessages.Medium.class);
    kryo.register(BenchMessages.Large.class);
    kryo.register(BenchMessages.Payload.class);
    kryo.register(BenchMessages.Item.class);
    kryo.register(ArrayList.class);
    kryo.register(byte[].class);
    Output output = new Output(128 * 1024, -1);
    return new Library() {
      @Override
      public byte[] encode(Object message) {
        output.reset();
        kryo.writeObject(output, message);
        return output.toBytes();
      }

      @Override
      public Object decode(byte[] bytes, Class<?> type) {
        return kryo.readObject(new Input(bytes), type);
      }
    };
  }

  private static Library fory() {
    Fory fory =
        Fory.builder()
            .withLanguage(Language.JAVA)
            .requireClassRegistration(true)
            .withRefTracking(false)
            .build();
    fory.register(BenchMessages.Small.class);
    fory.register(BenchMessages.Medium.class);
    fory.register(BenchMessages.Large.class);
    fory.register(BenchMessages.Payload.class);
    fory.register(BenchMessages.Item.class);
    return new Library() {
      @Override
      public byte[] encode(Object message) {
        return fory.serialize(message);
      }

      @Override
      public Object decode(byte[] bytes, Class<?> type) {
        return fory.deserialize(bytes);
      }
    };
  }

  @Benchmark
  public byte[] encode() {
    return library.encode(sample);
  }

  @Benchmark
  public Object decode() {
    return library.decode(encoded, type);
  }

  @Benchmark
  public Object roundTrip() {
    return library.decode(library.encode(sample), type);
  }
}
