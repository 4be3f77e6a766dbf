package dev.tether.codec.kryo;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

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

  /**
   * @param delegate Kryo's serializer for the array class
   * @param minBytesEach the fewest bytes one element takes in {@code delegate}'s format
   */
  CheckedArraySerializer(Serializer<T> delegate, int minBytesEach) {
    super(delegate.getAcceptsNull(), delegate.isImmutable());
    this.delegate = delegate;
    this.minBytesEach = minBytesEach;
  }

  @Override
  public void write(Kryo kryo, Output output, T array) {
    delegate.write(kryo, output, array);
  }

  @Override
  public T read(Kryo kryo, Input input, Class<? extends T> type) {
    int start = input.position();
    int declared = input.readVarInt(true);
    if (declared != 0) {
      PayloadBounds.check(input, declared - 1, minBytesEach, type.getSimpleName());
    }
    input.setPosition(start);
    return delegate.read(kryo, input, type);
  }
}
