package dev.tether.codec;

import java.io.OutputStream;
import java.util.Arrays;

/**
 * A growable in-memory byte buffer that codecs encode into. It is an {@link OutputStream} for
 * libraries that write to streams, and exposes its array for libraries that write into arrays
 * directly. Writes never throw {@link java.io.IOException}.
 *
 * <p>This class is not thread safe; Tether gives each sending thread its own buffer and reuses it.
 */
public final class EncodeBuffer extends OutputStream {
  private byte[] array;
  private int position;

  /** Creates an empty buffer with the given initial capacity. */
  public EncodeBuffer(int initialCapacity) {
    array = new byte[Math.max(16, initialCapacity)];
  }

  /** Returns the backing array; valid until the next write that grows it. */
  public byte[] array() {
    return array;
  }

  /** Returns the number of bytes written so far (the index of the next write). */
  public int position() {
    return position;
  }

  /**
   * Moves the write position, for codecs that wrote into {@link #array()} directly.
   *
   * @throws IllegalArgumentException if {@code newPosition} is negative or past the capacity
   */
  public void position(int newPosition) {
    if (newPosition < 0 || newPosition > array.length) {
      throw new IllegalArgumentException("position " + newPosition + " outside 0.." + array.length);
    }
    position = newPosition;
  }

  /** Grows the array, if needed, so that {@code bytes} more can be written without growing. */
  public void ensureWritable(int bytes) {
    long needed = (long) position + bytes;
    if (needed > array.length) {
      if (needed > Integer.MAX_VALUE - 8) {
        throw new CodecException("encoded message exceeds 2 GiB");
      }
      int capacity = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(needed, array.length * 2L));
      array = Arrays.copyOf(array, capacity);
    }
  }

  @Override
  public void write(int b) {
    ensureWritable(1);
    array[position++] = (byte) b;
  }

  @Override
  public void write(byte[] bytes, int offset, int length) {
    ensureWritable(length);
    System.arraycopy(bytes, offset, array, position, length);
    position += length;
  }

  /** Drops the contents and, if the buffer grew past {@code maxRetainedCapacity}, shrinks it. */
  public void reset(int maxRetainedCapacity) {
    position = 0;
    if (array.length > maxRetainedCapacity) {
      array = new byte[maxRetainedCapacity];
    }
  }
}
