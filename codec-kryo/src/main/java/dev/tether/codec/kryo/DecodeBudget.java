package dev.tether.codec.kryo;

import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import dev.tether.codec.CodecLimits;

/**
 * What one decode may still declare: the elements of every collection, map and object array in the
 * message together, at their fewest bytes each, may not exceed the payload's size, and no one of
 * them may hold more than {@link CodecLimits#maxElements()}.
 *
 * <p>Why the total: each element has at least one byte of its own in the payload (its class id or
 * null marker; a map entry two), so a valid payload never declares more element bytes than it has.
 * Checking each count against the bytes left, as {@link PayloadBounds} does, is not enough: a
 * payload can nest a collection in the first slot of another, each declaring as many elements as
 * bytes remain, and each level pre-allocates for all of them before the first runs out. 263 KB did
 * that 200 levels deep and allocated 205 MB; with the total checked, no decode pre-allocates more
 * than a few bytes per payload byte.
 *
 * <p>This class is not thread safe; each pooled Kryo session's inputs share one.
 */
final class DecodeBudget {
  /** An input whose payload has a budget, and whose map keys are counted with it. */
  interface Holder extends MapKeys.Holder {
    DecodeBudget budget();

    @Override
    default MapKeys.Nesting keyNesting() {
      return budget().keyNesting;
    }
  }

  private final CodecLimits limits;
  private final MapKeys.Nesting keyNesting;
  private long payloadBytes;
  private long declaredBytes;

  DecodeBudget(CodecLimits limits) {
    this.limits = limits;
    this.keyNesting = new MapKeys.Nesting(limits);
  }

  /** Returns the limits this budget applies. */
  CodecLimits limits() {
    return limits;
  }

  /** Starts the budget of a payload of {@code payloadBytes}, and its key nesting at zero. */
  void reset(int payloadBytes) {
    this.payloadBytes = payloadBytes;
    this.declaredBytes = 0;
    keyNesting.reset();
  }

  /**
   * Charges a container that declares {@code count} elements of at least {@code minBytesEach}
   * bytes, before anything is allocated for it.
   *
   * @throws KryoException if the container holds too many, or the message's containers together
   *     declare more than the payload can hold
   */
  void charge(int count, int minBytesEach, String what) {
    String tooMany = limits.tooManyElements(count, what);
    if (tooMany != null) {
      throw new KryoException(tooMany);
    }
    declaredBytes += (long) count * minBytesEach;
    if (declaredBytes > payloadBytes) {
      throw new KryoException(
          what
              + " declares "
              + count
              + " elements, which with those of the collections around and before it need at"
              + " least "
              + declaredBytes
              + " bytes, more than the payload's "
              + payloadBytes);
    }
  }

  /** Charges {@code input}'s budget, if it has one; see {@link #charge}. */
  static void charge(Input input, int count, int minBytesEach, String what) {
    if (input instanceof Holder holder) {
      holder.budget().charge(count, minBytesEach, what);
    }
  }
}
