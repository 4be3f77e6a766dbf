package dev.tether.codec.kryo;

import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;

/**
 * Checks a length or count read from a payload against the bytes the payload still holds, before
 * anything is allocated for it. Kryo itself allocates whatever a length prefix declares ({@code new
 * byte[length]}, {@code new ArrayList(size)}), so three bytes claiming a 2 GiB array would end in
 * an {@link OutOfMemoryError}; with this check they end in a {@link KryoException}.
 *
 * <p>The check is sound because a Tether payload is always whole in memory: every element still to
 * be read occupies at least {@code minBytesEach} of the remaining bytes, so a count larger than
 * {@code remaining / minBytesEach} can only be a lie.
 */
final class PayloadBounds {
  private PayloadBounds() {}

  /**
   * Throws unless {@code count} elements of at least {@code minBytesEach} bytes each fit in what
   * {@code input} has left.
   *
   * @throws KryoException if {@code count} is negative or larger than the remaining bytes allow
   */
  static void check(Input input, int count, int minBytesEach, String what) {
    int remaining = input.limit() - input.position();
    if (count < 0 || (long) count * minBytesEach > remaining) {
      throw new KryoException(
          what
              + " declares "
              + count
              + " elements of at least "
              + minBytesEach
              + " byte(s) but only "
              + remaining
              + " bytes remain in the payload");
    }
  }
}
