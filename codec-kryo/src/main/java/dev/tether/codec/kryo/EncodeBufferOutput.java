package dev.tether.codec.kryo;

import com.esotericsoftware.kryo.io.Output;
import dev.tether.codec.CodecLimits;
import dev.tether.codec.EncodeBuffer;

/**
 * A Kryo {@link Output} that writes straight into an {@link EncodeBuffer}'s array, growing it
 * through {@link EncodeBuffer#ensureWritable}, so an encoded message is never copied from a buffer
 * of Kryo's into Tether's. It counts the message's map keys ({@link MapKeys}) as it goes.
 *
 * <p>Between {@link #begin} and {@link #end} this output borrows the buffer's array; the caller
 * must not touch the {@code EncodeBuffer} in between.
 *
 * <p>This class is not thread safe; each pooled Kryo session owns one.
 */
final class EncodeBufferOutput extends Output implements MapKeys.Holder {
  private static final byte[] EMPTY = new byte[0];

  private final MapKeys.Nesting keyNesting;
  private EncodeBuffer target;

  EncodeBufferOutput(CodecLimits limits) {
    super(EMPTY, -1);
    this.keyNesting = new MapKeys.Nesting(limits);
  }

  @Override
  public MapKeys.Nesting keyNesting() {
    return keyNesting;
  }

  /** Starts writing at {@code target}'s position, with the key nesting at zero. */
  void begin(EncodeBuffer target) {
    keyNesting.reset();
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
