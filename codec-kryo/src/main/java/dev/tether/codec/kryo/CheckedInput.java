package dev.tether.codec.kryo;

import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.KryoBufferUnderflowException;

/**
 * A Kryo {@link Input} over a heap array that holds a whole payload, and that checks every length
 * it is asked to allocate for against the bytes remaining (see {@link PayloadBounds}). Strings,
 * byte arrays and the bulk primitive-array reads are covered; Kryo's stock {@code Input} would
 * allocate the declared length first and fail only when the bytes run out.
 *
 * <p>There is never an {@link java.io.InputStream} behind it, so running out of bytes is an
 * immediate {@link KryoBufferUnderflowException}.
 *
 * <p>This class is not thread safe; each pooled Kryo session owns one.
 */
final class CheckedInput extends Input implements DecodeBudget.Holder {
  /** {@code chars} grown past this many by a long string are dropped after the decode. */
  private static final int RETAINED_CHARS = 16 * 1024;

  private static final byte[] EMPTY = new byte[0];

  private final DecodeBudget budget;

  CheckedInput(DecodeBudget budget) {
    super(EMPTY);
    this.budget = budget;
  }

  @Override
  public DecodeBudget budget() {
    return budget;
  }

  /** Forgets the payload, so that a pooled input does not keep it reachable. */
  void release() {
    setBuffer(EMPTY);
    if (chars.length > RETAINED_CHARS) {
      chars = new char[32];
    }
  }

  @Override
  protected int require(int required) {
    int remaining = limit - position;
    if (remaining < required) {
      throw new KryoBufferUnderflowException(
          "payload ends early: " + required + " byte(s) needed, " + remaining + " left");
    }
    return remaining;
  }

  @Override
  protected int optional(int optional) {
    int remaining = limit - position;
    return remaining == 0 ? -1 : Math.min(remaining, optional);
  }

  @Override
  public String readString() {
    checkUtf8Length(this);
    return super.readString();
  }

  @Override
  public StringBuilder readStringBuilder() {
    checkUtf8Length(this);
    return super.readStringBuilder();
  }

  @Override
  public byte[] readBytes(int length) {
    PayloadBounds.check(this, length, 1, "byte[]");
    return super.readBytes(length);
  }

  @Override
  public int[] readInts(int length) {
    PayloadBounds.check(this, length, Integer.BYTES, "int[]");
    return super.readInts(length);
  }

  @Override
  public int[] readInts(int length, boolean optimizePositive) {
    PayloadBounds.check(this, length, varEncoding ? 1 : Integer.BYTES, "int[]");
    return super.readInts(length, optimizePositive);
  }

  @Override
  public long[] readLongs(int length) {
    PayloadBounds.check(this, length, Long.BYTES, "long[]");
    return super.readLongs(length);
  }

  @Override
  public long[] readLongs(int length, boolean optimizePositive) {
    PayloadBounds.check(this, length, varEncoding ? 1 : Long.BYTES, "long[]");
    return super.readLongs(length, optimizePositive);
  }

  @Override
  public float[] readFloats(int length) {
    PayloadBounds.check(this, length, Float.BYTES, "float[]");
    return super.readFloats(length);
  }

  @Override
  public double[] readDoubles(int length) {
    PayloadBounds.check(this, length, Double.BYTES, "double[]");
    return super.readDoubles(length);
  }

  @Override
  public short[] readShorts(int length) {
    PayloadBounds.check(this, length, Short.BYTES, "short[]");
    return super.readShorts(length);
  }

  @Override
  public char[] readChars(int length) {
    PayloadBounds.check(this, length, Character.BYTES, "char[]");
    return super.readChars(length);
  }

  @Override
  public boolean[] readBooleans(int length) {
    PayloadBounds.check(this, length, 1, "boolean[]");
    return super.readBooleans(length);
  }

  /**
   * Kryo writes a non-ASCII string as a varint character count (with a UTF-8 flag) and then the
   * characters, and reads it into a {@code char[]} of that count. Each character takes at least one
   * byte, so the count is peeked and checked here, and the position put back for Kryo to read it.
   * ASCII strings have no count: they end at a byte with the high bit set, so need no check.
   */
  static void checkUtf8Length(Input input) {
    if (input.readVarIntFlag()) { // peeks: does not advance
      int start = input.position();
      int declared = input.readVarIntFlag(true); // 0 null, 1 empty, n+1 for n chars
      if (declared != 0 && declared != 1) {
        PayloadBounds.check(input, declared - 1, 1, "string");
      }
      input.setPosition(start);
    }
  }
}
