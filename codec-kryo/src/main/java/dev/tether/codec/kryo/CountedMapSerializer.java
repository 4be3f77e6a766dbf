package dev.tether.codec.kryo;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import dev.tether.codec.CodecLimits;
import java.util.Map;
import java.util.SortedMap;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Writes a {@link Map} as its size and then every key and value with its class, and reads it back
 * with the size checked against the payload first. Replaces Kryo's {@code MapSerializer}, which
 * sizes a {@code HashMap} by the declared count before reading a single entry.
 *
 * <pre>
 * +---------------------+--------------------------------------------------+
 * | size + 1 : varint   | size × (key, value), each class id varint + value |
 * +---------------------+--------------------------------------------------+
 *   0 = null map          class id 0 = null key or value
 * </pre>
 *
 * <p>Every entry costs at least two bytes, so a size larger than half the bytes left is refused
 * before the map is created, and so is one that would take the message's declared elements past the
 * payload's size ({@link DecodeBudget}) or past {@code maxElements}. A {@link SortedMap} must use
 * natural ordering. Keys are written and read through {@link MapKeys}, which bounds how deeply they
 * nest.
 *
 * <p>This class is thread safe if its factory and finisher are; it keeps no state.
 */
final class CountedMapSerializer extends Serializer<Map<?, ?>> {
  private final IntFunction<Map<Object, Object>> factory;
  private final Function<Map<Object, Object>, Map<?, ?>> finisher;
  private final CodecLimits limits;
  private final boolean hashed;

  /**
   * @param factory creates an empty, mutable map for the given number of entries
   * @param finisher turns the filled map into the one handed out, e.g. {@code Map::copyOf}
   * @param limits the element limits applied on write and on read
   * @param hashed whether the map hashes its keys: then more than {@link
   *     CodecLimits#maxSameHashElements()} keys sharing a hash code are refused, on read before any
   *     is inserted
   */
  CountedMapSerializer(
      IntFunction<Map<Object, Object>> factory,
      Function<Map<Object, Object>, Map<?, ?>> finisher,
      CodecLimits limits,
      boolean hashed) {
    super(true, false);
    this.factory = factory;
    this.finisher = finisher;
    this.limits = limits;
    this.hashed = hashed;
  }

  /** A serializer that hands out the map its factory made. */
  CountedMapSerializer(
      IntFunction<Map<Object, Object>> factory, CodecLimits limits, boolean hashed) {
    this(factory, m -> m, limits, hashed);
  }

  @Override
  public void write(Kryo kryo, Output output, Map<?, ?> map) {
    if (map == null) {
      output.writeVarInt(0, true);
      return;
    }
    if (map instanceof SortedMap<?, ?> sorted && sorted.comparator() != null) {
      throw new KryoException(
          map.getClass().getName()
              + " with a comparator cannot be encoded: only natural ordering is supported");
    }
    int size = map.size();
    String name = map.getClass().getName();
    String refusal = limits.tooManyElements(size, name);
    if (refusal == null && hashed && size > limits.maxSameHashElements()) {
      Object[] keys = map.keySet().toArray();
      refusal = limits.sameHashViolation(keys, keys.length, name);
    }
    if (refusal != null) {
      throw new KryoException(refusal);
    }
    output.writeVarInt(size + 1, true);
    int written = 0;
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      MapKeys.write(kryo, output, entry.getKey(), name);
      kryo.writeClassAndObject(output, entry.getValue());
      written++;
    }
    if (written != size) {
      throw new KryoException(
          map.getClass().getName()
              + " changed while being encoded: size "
              + size
              + ", iterated "
              + written);
    }
  }

  @Override
  public Map<?, ?> read(Kryo kryo, Input input, Class<? extends Map<?, ?>> type) {
    int declared = input.readVarInt(true);
    if (declared == 0) {
      return null;
    }
    int size = declared - 1;
    PayloadBounds.check(input, size, 2, type.getName());
    DecodeBudget.charge(input, size, 2, type.getName());
    if (hashed && size > limits.maxSameHashElements()) {
      // Read every entry before hashing any key; see CountedCollectionSerializer.
      Object[] keys = new Object[size];
      Object[] values = new Object[size];
      for (int i = 0; i < size; i++) {
        keys[i] = MapKeys.read(kryo, input, type.getName());
        values[i] = kryo.readClassAndObject(input);
      }
      String refusal = limits.sameHashViolation(keys, size, type.getName());
      if (refusal != null) {
        throw new KryoException(refusal);
      }
      Map<Object, Object> map = factory.apply(size);
      for (int i = 0; i < size; i++) {
        map.put(keys[i], values[i]);
      }
      return finisher.apply(map);
    }
    Map<Object, Object> map = factory.apply(size);
    for (int i = 0; i < size; i++) {
      Object key = MapKeys.read(kryo, input, type.getName());
      map.put(key, kryo.readClassAndObject(input));
    }
    return finisher.apply(map);
  }
}
