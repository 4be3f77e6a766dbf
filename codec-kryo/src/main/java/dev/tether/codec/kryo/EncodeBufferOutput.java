package dev.tether.codec.kryo;

import com.esotericsoftware.kryo.io.Output;
import dev.tether.codec.EncodeBuffer;

/**
 * A Kryo {@link Output} that writes straight into an {@link EncodeBuffer}'s array, growing it
 * through {@link EncodeBuffer#ensureWritable}, so an encoded message is never copied from a buffer
 * of Kryo's into Tether's.
 *
 * <p>Between {@link #begin} and {@link #end} this output borrows the buffer's array; the caller
 * must not touch the {@code EncodeBuffer} in between.
 *
 * <p>This class is not thread safe; each pooled Kryo session owns one.
 */
final class EncodeBufferOutput extends Output {
  private static final byte[] EMPTY = new byte[0];

  private EncodeBuffer target;

  EncodeBufferOutput() {
    super(EMPTY, -1);
  }

  /** Starts writing at {@code target}'s position. */
  void begin(EncodeBuffer target) {
    this.target = target;
    buffer = target.array();
    capacity = buffer.length;
    position = target.position();
    total = 0;
  }

  /** Hands the bytes written back to the target, by moving its position past them. */
  void end() {
    target.position(position);
    release();
  }

  /** Forgets the target without moving its position; used after a failed encode, too. */
  void release() {
    target = null;
    buffer = EMPTY;
    capacity = 0;
    position = 0;
  }

  @Override
  protected boolean require(int required) {
    if (capacity - position >= required) {
      return false;
    }
    target.position(position);
    target.ensureWritable(required); // throws CodecException past 2 GiB
    buffer = target.array();
    capacity = buffer.length;
    return true;
  }

  @Override
  public void flush() {
    // Nothing to flush: the bytes are already in the target's array.
  }
}
