package dev.tether.codec.fury;

import dev.tether.codec.CodecLimits;
import java.util.Map;
import java.util.SortedMap;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.apache.fory.context.ReadContext;
import org.apache.fory.context.WriteContext;
import org.apache.fory.resolver.TypeResolver;
import org.apache.fory.serializer.collection.MapSerializer;

/**
 * Fory's map format, unchanged, with {@link CodecLimits} applied on both ends, as {@link
 * CheckedCollectionSerializer} does for collections: at most {@code maxElements} entries, the
 * payload's {@link DecodeBudget}, and for a map that hashes its keys at most {@code
 * maxSameHashElements} keys sharing a hash code, checked before any key is hashed: the entries of a
 * larger map than that are read into a {@link StagingMap} first.
 *
 * <p>A sorted map is carried with natural ordering only. Its keys may nest no deeper than {@code
 * maxKeyNesting} ({@link KeyNesting}), checked as it is written and, on read, before the map is
 * handed to the map or set around it.
 *
 * <p>This class is not thread safe; Fory creates one per Fory instance.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
final class CheckedMapSerializer<T extends Map> extends MapSerializer<T> {
  private final IntFunction<Map<Object, Object>> factory;
  private final Function<Map<Object, Object>, ?> finisher;
  private final boolean hashed;
  private final CodecLimits limits;

  /**
   * @param factory creates the map entries are read into (for a hashed map: copied into), for the
   *     declared count
   * @param finisher turns that map into the one handed out, e.g. {@code Map::copyOf}
   * @param hashed whether the map hashes its keys
   */
  CheckedMapSerializer(
      TypeResolver resolver,
      Class<T> type,
      IntFunction<Map<Object, Object>> factory,
      Function<Map<Object, Object>, ?> finisher,
      boolean hashed,
      CodecLimits limits) {
    super(resolver, type, true);
    this.factory = factory;
    this.finisher = finisher;
    this.hashed = hashed;
    this.limits = limits;
  }

  @Override
  public Map onMapWrite(WriteContext context, T value) {
    String refusal = limits.tooManyElements(value.size(), type.getName());
    if (refusal == null && hashed && value.size() > limits.maxSameHashElements()) {
      Object[] keys = value.keySet().toArray();
      refusal = limits.sameHashViolation(keys, keys.length, type.getName());
    }
    if (refusal == null && value instanceof SortedMap<?, ?> sorted && sorted.comparator() != null) {
      refusal =
          type.getName()
              + " with a comparator cannot be carried: only natural ordering is (a comparator"
              + " would be a class to decode)";
    }
    if (refusal != null) {
      throw new FuryLimitException(refusal);
    }
    KeyNesting.check(value, type.getName(), limits);
    context.getBuffer().writeVarUInt32Small7(value.size());
    return value;
  }

  @Override
  public Map newMap(ReadContext context, boolean readDataAlwaysAdvances) {
    int count = readMapSize(context, context.getBuffer(), readDataAlwaysAdvances);
    DecodeBudget.charge(context, count, type.getName(), limits);
    setNumElements(count);
    // Up to maxSameHashElements entries cannot hold more keys sharing a hash code than allowed:
    // read them straight into the map.
    boolean staged = hashed && count > limits.maxSameHashElements();
    Map<Object, Object> map = staged ? new StagingMap(count) : factory.apply(count);
    context.reference(map);
    return map;
  }

  @Override
  public T onMapRead(Map map) {
    if (map instanceof StagingMap staged) {
      String refusal = limits.sameHashViolation(staged.keys(), staged.size(), type.getName());
      if (refusal != null) {
        throw new FuryLimitException(refusal);
      }
      KeyNesting.check(staged.keys(), staged.size(), type.getName(), limits);
      return (T) finisher.apply(staged.copyInto(factory.apply(staged.size())));
    }
    // Up to maxSameHashElements keys went into the map as they were read, each checked when it
    // was read itself, so comparing them cost no more than the limit allows.
    KeyNesting.check(map, type.getName(), limits);
    return (T) finisher.apply(map);
  }
}
