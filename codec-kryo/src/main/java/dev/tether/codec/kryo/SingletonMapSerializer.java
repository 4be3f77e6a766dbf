package dev.tether.codec.kryo;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.Collections;
import java.util.Map;

/**
 * A {@link Collections#singletonMap} in Kryo's format (its key, then its value, each with its
 * class), with the key written and read through {@link MapKeys}. Replaces Kryo's {@code
 * CollectionsSingletonMapSerializer}, which does not count key nesting: a chain of singleton maps,
 * each the key of the next, is the shortest way to nest keys.
 *
 * <p>This class is thread safe; it keeps no state.
 */
final class SingletonMapSerializer extends Serializer<Map<?, ?>> {
  private static final String NAME = Collections.singletonMap(null, null).getClass().getName();

  @Override
  public void write(Kryo kryo, Output output, Map<?, ?> map) {
    Map.Entry<?, ?> entry = map.entrySet().iterator().next();
    MapKeys.write(kryo, output, entry.getKey(), NAME);
    kryo.writeClassAndObject(output, entry.getValue());
  }

  @Override
  public Map<?, ?> read(Kryo kryo, Input input, Class<? extends Map<?, ?>> type) {
    Object key = MapKeys.read(kryo, input, NAME);
    return Collections.singletonMap(key, kryo.readClassAndObject(input));
  }
}
