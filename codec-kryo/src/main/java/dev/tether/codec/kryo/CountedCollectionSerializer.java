package dev.tether.codec.kryo;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import dev.tether.codec.CodecLimits;
import java.util.Collection;
import java.util.SortedSet;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Writes a {@link Collection} as its size and then every element with its class, and reads it back
 * with the size checked against the payload first. Replaces Kryo's {@code CollectionSerializer},
 * whose compact forms (an all-{@code null} collection is one byte whatever its size) let a few
 * bytes declare a billion elements that are then added one by one.
 *
 * <pre>
 * +---------------------+---------------------------------------------+
 * | size + 1 : varint   | size × element: class id varint, then value |
 * +---------------------+---------------------------------------------+
 *   0 = null collection    class id 0 = null element
 * </pre>
 *
 * <p>Every element costs at least its class id byte, so a size larger than the bytes left is
 * refused before the collection is created, and so is one that would take the message's declared
 * elements past the payload's size ({@link DecodeBudget}) or past {@code maxElements}. A {@link
 * SortedSet} must use natural ordering: a comparator would be a class to decode, and is refused on
 * encode.
 *
 * <p>This class is thread safe if its factory and finisher are; it keeps no state.
 */
final class CountedCollectionSerializer extends Serializer<Collection<?>> {
  private final IntFunction<Collection<Object>> factory;
  private final Function<Collection<Object>, Collection<?>> finisher;
  private final CodecLimits limits;
  private final boolean hashed;

  /**
   * @param factory creates an empty, mutable collection for the given number of elements
   * @param finisher turns the filled collection into the one handed out, e.g. {@code List::copyOf}
   * @param limits the element limits applied on write and on read
   * @param hashed whether the collection hashes its elements (a {@code HashSet}, {@code Set.of}):
   *     then more than {@link CodecLimits#maxSameHashElements()} sharing a hash code are refused,
   *     on read before any is inserted
   */
  CountedCollectionSerializer(
      IntFunction<Collection<Object>> factory,
      Function<Collection<Object>, Collection<?>> finisher,
      CodecLimits limits,
      boolean hashed) {
    super(true, false);
    this.factory = factory;
    this.finisher = finisher;
    this.limits = limits;
    this.hashed = hashed;
  }

  /** A serializer that hands out the collection its factory made. */
  CountedCollectionSerializer(
      IntFunction<Collection<Object>> factory, CodecLimits limits, boolean hashed) {
    this(factory, c -> c, limits, hashed);
  }

  @Override
  public void write(Kryo kryo, Output output, Collection<?> collection) {
    if (collection == null) {
      output.writeVarInt(0, true);
      return;
    }
    if (collection instanceof SortedSet<?> sorted && sorted.comparator() != null) {
      throw new KryoException(
          collection.getClass().getName()
              + " with a comparator cannot be encoded: only natural ordering is supported");
    }
    int size = collection.size();
    String name = collection.getClass().getName();
    String refusal = limits.tooManyElements(size, name);
    if (refusal == null && hashed && size > limits.maxSameHashElements()) {
      Object[] elements = collection.toArray();
      refusal = limits.sameHashViolation(elements, elements.length, name);
    }
    if (refusal != null) {
      throw new KryoException(refusal);
    }
    output.writeVarInt(size + 1, true);
    int written = 0;
    for (Object element : collection) {
      kryo.writeClassAndObject(output, element);
      written++;
    }
    if (written != size) {
      throw new KryoException(
          collection.getClass().getName()
              + " changed while being encoded: size "
              + size
              + ", iterated "
              + written);
    }
  }

  @Override
  public Collection<?> read(Kryo kryo, Input input, Class<? extends Collection<?>> type) {
    int declared = input.readVarInt(true);
    if (declared == 0) {
      return null;
    }
    int size = declared - 1;
    PayloadBounds.check(input, size, 1, type.getName());
    DecodeBudget.charge(input, size, 1, type.getName());
    if (hashed && size > limits.maxSameHashElements()) {
      // Read every element before hashing any: a hash table would insert elements that share a
      // hash code in quadratic time, so they are counted first.
      Object[] elements = new Object[size];
      for (int i = 0; i < size; i++) {
        elements[i] = kryo.readClassAndObject(input);
      }
      String refusal = limits.sameHashViolation(elements, size, type.getName());
      if (refusal != null) {
        throw new KryoException(refusal);
      }
      Collection<Object> collection = factory.apply(size);
      for (Object element : elements) {
        collection.add(element);
      }
      return finisher.apply(collection);
    }
    Collection<Object> collection = factory.apply(size);
    for (int i = 0; i < size; i++) {
      collection.add(kryo.readClassAndObject(input));
    }
    return finisher.apply(collection);
  }
}
