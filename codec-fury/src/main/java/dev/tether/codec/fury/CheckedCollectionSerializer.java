package dev.tether.codec.fury;

import dev.tether.codec.CodecLimits;
import java.util.Collection;
import java.util.SortedSet;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.apache.fory.context.ReadContext;
import org.apache.fory.context.WriteContext;
import org.apache.fory.resolver.TypeResolver;
import org.apache.fory.serializer.collection.CollectionSerializer;

/**
 * Fory's collection format, unchanged, with {@link CodecLimits} applied on both ends: at most
 * {@code maxElements} elements; the payload's {@link DecodeBudget}; and for a collection that
 * hashes its elements (a {@code HashSet}, {@code Set.of}), at most {@code maxSameHashElements}
 * sharing a hash code, checked on read before any element is hashed: the elements are read into a
 * list, and the finisher builds the real collection from it. Fory's generated serializers call the
 * same hooks ({@link #newCollection}, {@link #onCollectionRead}, {@link #onCollectionWrite}), so a
 * field of a record is checked as a collection at the top is.
 *
 * <p>A sorted set is carried with natural ordering only: a comparator would be a class to decode.
 *
 * <p>This class is not thread safe; Fory creates one per Fory instance.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
final class CheckedCollectionSerializer<T extends Collection> extends CollectionSerializer<T> {
  private final IntFunction<Collection<Object>> factory;
  private final Function<Collection<Object>, ?> finisher;
  private final boolean hashed;
  private final CodecLimits limits;

  /**
   * @param factory creates the collection elements are read into, for the declared count
   * @param finisher turns that collection into the one handed out, e.g. {@code HashSet::new}
   * @param hashed whether the collection handed out hashes its elements
   */
  CheckedCollectionSerializer(
      TypeResolver resolver,
      Class<T> type,
      IntFunction<Collection<Object>> factory,
      Function<Collection<Object>, ?> finisher,
      boolean hashed,
      CodecLimits limits) {
    super(resolver, type, true);
    this.factory = factory;
    this.finisher = finisher;
    this.hashed = hashed;
    this.limits = limits;
  }

  @Override
  public Collection onCollectionWrite(WriteContext context, T value) {
    String refusal = limits.tooManyElements(value.size(), type.getName());
    if (refusal == null && hashed && value.size() > limits.maxSameHashElements()) {
      Object[] elements = value.toArray();
      refusal = limits.sameHashViolation(elements, elements.length, type.getName());
    }
    if (refusal == null && value instanceof SortedSet<?> sorted && sorted.comparator() != null) {
      refusal =
          type.getName()
              + " with a comparator cannot be carried: only natural ordering is (a comparator"
              + " would be a class to decode)";
    }
    if (refusal != null) {
      throw new FuryLimitException(refusal);
    }
    context.getBuffer().writeVarUInt32Small7(value.size());
    return value;
  }

  @Override
  public Collection newCollection(ReadContext context, boolean readDataAlwaysAdvances) {
    int count = readCollectionSize(context, context.getBuffer(), readDataAlwaysAdvances);
    DecodeBudget.charge(context, count, type.getName(), limits);
    setNumElements(count);
    Collection<Object> collection = factory.apply(count);
    context.reference(collection);
    return collection;
  }

  @Override
  public T onCollectionRead(Collection collection) {
    // A collection the factory made hashed already holds no more than maxSameHashElements.
    if (hashed && collection.size() > limits.maxSameHashElements()) {
      Object[] elements = collection.toArray();
      String refusal = limits.sameHashViolation(elements, elements.length, type.getName());
      if (refusal != null) {
        throw new FuryLimitException(refusal);
      }
    }
    return (T) finisher.apply(collection);
  }
}
