package dev.tether.codec.fury;

import dev.tether.codec.CodecLimits;
import java.util.Collections;
import java.util.Map;
import org.apache.fory.BaseFory;
import org.apache.fory.context.ReadContext;
import org.apache.fory.context.WriteContext;
import org.apache.fory.resolver.TypeResolver;
import org.apache.fory.serializer.GraphMemoryEstimates;
import org.apache.fory.serializer.collection.MapSerializer;

/**
 * A {@link Collections#singletonMap} in Fory's format (its key, then its value), with its key
 * checked by {@link KeyNesting} on both ends. Replaces Fory's {@code SingletonMapSerializer}, which
 * calls none of the hooks {@link CheckedMapSerializer} checks in: a chain of singleton maps, each
 * the key of the next, is the shortest way to nest keys.
 *
 * <p>This class is not thread safe; Fory creates one per Fory instance.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
final class CheckedSingletonMapSerializer extends MapSerializer<Map<?, ?>> {
  private static final Class<?> TYPE = Collections.singletonMap(null, null).getClass();
  private static final int OWNER_BYTES = GraphMemoryEstimates.shallowObjectBytes(TYPE);

  private final CodecLimits limits;

  CheckedSingletonMapSerializer(TypeResolver resolver, CodecLimits limits) {
    super(resolver, (Class) TYPE, false);
    this.limits = limits;
  }

  /** Registers it for {@code Collections.singletonMap} with {@code fory}. */
  static void register(BaseFory fory, CodecLimits limits) {
    fory.registerSerializer(TYPE, resolver -> new CheckedSingletonMapSerializer(resolver, limits));
  }

  @Override
  public void write(WriteContext context, Map<?, ?> value) {
    Map.Entry<?, ?> entry = value.entrySet().iterator().next();
    KeyNesting.checkKey(entry.getKey(), TYPE.getName(), limits);
    context.writeRef(entry.getKey());
    context.writeRef(entry.getValue());
  }

  @Override
  public Map<?, ?> read(ReadContext context) {
    Object key = context.readRef();
    KeyNesting.checkKey(key, TYPE.getName(), limits);
    Object value = context.readRef();
    context.reserveGraphMemory(OWNER_BYTES);
    return Collections.singletonMap(key, value);
  }
}
