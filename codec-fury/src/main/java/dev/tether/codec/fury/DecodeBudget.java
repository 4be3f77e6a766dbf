package dev.tether.codec.fury;

import dev.tether.codec.CodecLimits;
import org.apache.fory.context.ReadContext;

/**
 * What one decode may still declare: the elements of every collection, map and object array in the
 * message together may not exceed the payload's size in bytes, and no one of them may hold more
 * than {@link CodecLimits#maxElements()}.
 *
 * <p>Why the total: with the codec's serializers every element has at least one byte of its own in
 * the payload (Fory's serializers for the empty collections and {@code Object} write none, so the
 * codec replaces them; see {@link ContainerSerializers}), so a valid payload never declares more
 * elements than it has bytes. Fory checks each count against the bytes left, which a payload can
 * satisfy at every level at once by nesting each collection in the first slot of the one before,
 * each declaring as many elements as bytes remain: 263 KB made Fory reserve 134 MB before its 128
 * MiB graph-memory gate stopped it. With the total checked, a decode pre-allocates a few bytes per
 * payload byte at most.
 *
 * <p>The budget lives in Fory's per-operation {@link ReadContext}, which Fory clears when the
 * operation ends, so it needs no reset and never outlives a decode. Not thread safe: one decode.
 */
final class DecodeBudget {
  private static final Object KEY = new Object();

  private final long payloadBytes;
  private long declared;

  private DecodeBudget(long payloadBytes) {
    this.payloadBytes = payloadBytes;
  }

  /**
   * Charges a container that declares {@code count} elements, before anything is allocated for
   * them.
   *
   * @throws FuryLimitException if the container holds too many, or the message's containers
   *     together declare more elements than the payload has bytes
   */
  static void charge(ReadContext context, int count, String what, CodecLimits limits) {
    String tooMany = limits.tooManyElements(count, what);
    if (tooMany != null) {
      throw new FuryLimitException(tooMany);
    }
    DecodeBudget budget = (DecodeBudget) context.getContextObject(KEY);
    if (budget == null) {
      budget = new DecodeBudget(context.getBuffer().size());
      context.putContextObject(KEY, budget);
    }
    budget.declared += count;
    if (budget.declared > budget.payloadBytes) {
      throw new FuryLimitException(
          what
              + " declares "
              + count
              + " elements, which with those of the containers around and before it make "
              + budget.declared
              + ", more than the payload's "
              + budget.payloadBytes
              + " bytes can hold at one byte each");
    }
  }
}
