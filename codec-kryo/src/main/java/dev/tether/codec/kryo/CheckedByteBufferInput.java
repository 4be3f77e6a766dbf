package dev.tether.codec.kryo;

import com.esotericsoftware.kryo.io.ByteBufferInput;
import com.esotericsoftware.kryo.io.KryoBufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * The direct-buffer twin of {@link CheckedInput}: a Kryo {@link ByteBufferInput} that reads a whole
 * payload in place, without copying it to the heap first, and checks every length it is asked to
 * allocate for against the bytes remaining (see {@link PayloadBounds}).
 *
 * <p>There is never an {@link java.io.InputStream} behind it, so running out of bytes is an
 * immediate {@link KryoBufferUnderflowException}; Kryo's own refill path, which would {@code
 * compact()} the caller's buffer, is never taken.
 *
 * <p>This class is not thread safe; each pooled Kryo session owns one.
 */
final class CheckedByteBufferInput extends ByteBufferInput implements DecodeBudget.Holder {
  /** {@code chars} grown past this many by a long string are dropped after the decode. */
  private static final int RETAINED_CHARS = 16 * 1024;

  // Each input has its own: ByteBufferInput moves the position of the buffer it reads.
  private final ByteBuffer empty = ByteBuffer.allocate(0);

  private final DecodeBudget budget;

  CheckedByteBufferInput(DecodeBudget budget) {
    this.budget = budget;
    setBuffer(empty);
  }

  @Override
  public DecodeBudget budget() {
    return budget;
  }

  /** Forgets the payload, so that a pooled input does not keep it reachable. */
  void release() {
    setBuffer(empty);
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
    CheckedInput.checkUtf8Length(this);
    return super.readString();
  }

  @Override
  public StringBuilder readStringBuilder() {
    CheckedInput.checkUtf8Length(this);
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
}
