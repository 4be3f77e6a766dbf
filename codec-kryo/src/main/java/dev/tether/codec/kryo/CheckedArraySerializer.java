package dev.tether.codec.kryo;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import dev.tether.codec.CodecLimits;
import java.lang.reflect.Array;

/**
 * Wraps Kryo's serializer for an array ({@code byte[]}, {@code String[]}, {@code Point[]}, …) so
 * that the declared length is checked against the payload before Kryo allocates the array. The wire
 * format is Kryo's own: a varint of length + 1 (0 for null), then the elements, each taking at
 * least {@code minBytesEach} bytes (a primitive's width or a varint; a null marker or class id for
 * references). {@link CheckedInput} checks the bulk primitive reads as well, but Kryo reads {@code
 * boolean[]}, {@code String[]} and object arrays element by element after allocating them.
 *
 * <p>This class is thread safe if the wrapped serializer is.
 */
final class CheckedArraySerializer<T> extends Serializer<T> {
  private final Serializer<T> delegate;
  private final int minBytesEach;
  private final CodecLimits limits;

  /**
   * @param delegate Kryo's serializer for the array class
   * @param minBytesEach the fewest bytes one element takes in {@code delegate}'s format
   * @param limits for an array of references, the element limits on write and read and the
   *     payload's {@link DecodeBudget}; null for an array of primitives, which is read at once and
   *     bounded by the bytes alone
   */
  CheckedArraySerializer(Serializer<T> delegate, int minBytesEach, CodecLimits limits) {
    super(delegate.getAcceptsNull(), delegate.isImmutable());
    this.delegate = delegate;
    this.minBytesEach = minBytesEach;
    this.limits = limits;
  }

  @Override
  public void write(Kryo kryo, Output output, T array) {
    if (limits != null && array != null) {
      String refusal = limits.tooManyElements(Array.getLength(array), array.getClass().getName());
      if (refusal != null) {
        throw new KryoException(refusal);
      }
    }
    delegate.write(kryo, output, array);
  }

  @Override
  public T read(Kryo kryo, Input input, Class<? extends T> type) {
    int start = input.position();
    int declared = input.readVarInt(true);
    if (declared != 0) {
      PayloadBounds.check(input, declared - 1, minBytesEach, type.getSimpleName());
      if (limits != null) {
        DecodeBudget.charge(input, declared - 1, minBytesEach, type.getName());
      }
    }
    input.setPosition(start);
    return delegate.read(kryo, input, type);
  }
}
