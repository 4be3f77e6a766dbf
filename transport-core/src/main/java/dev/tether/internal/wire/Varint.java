package dev.tether.internal.wire;

import dev.tether.GoAwayCode;
import java.nio.ByteBuffer;

/**
 * Unsigned LEB128 of at most 5 bytes and a value of at most 2<sup>31</sup>-1 (PROTOCOL.md §1). A
 * longer encoding, an overlong one (a redundant final zero byte) or a larger value is a protocol
 * error.
 */
public final class Varint {
  public static final int MAX_BYTES = 5;

  private Varint() {}

  /** Returns how many bytes {@code value} takes. */
  public static int size(int value) {
    if (value < 0) {
      throw new IllegalArgumentException("varint value must be 0..2^31-1, was " + value);
    }
    if (value < 1 << 7) {
      return 1;
    } else if (value < 1 << 14) {
      return 2;
    } else if (value < 1 << 21) {
      return 3;
    } else if (value < 1 << 28) {
      return 4;
    }
    return 5;
  }

  /** Writes {@code value} at {@code offset} and returns the offset after it. */
  public static int write(byte[] dst, int offset, int value) {
    if (value < 0) {
      throw new IllegalArgumentException("varint value must be 0..2^31-1, was " + value);
    }
    while ((value & ~0x7F) != 0) {
      dst[offset++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    dst[offset++] = (byte) value;
    return offset;
  }

  /** Writes {@code value} at the buffer's position and advances it. */
  public static void write(ByteBuffer dst, int value) {
    if (value < 0) {
      throw new IllegalArgumentException("varint value must be 0..2^31-1, was " + value);
    }
    while ((value & ~0x7F) != 0) {
      dst.put((byte) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    dst.put((byte) value);
  }

  /**
   * Reads a varint at the buffer's position and advances past it.
   *
   * @throws ProtocolException PROTOCOL_ERROR if truncated, longer than 5 bytes, overlong or above
   *     2<sup>31</sup>-1
   */
  public static int read(ByteBuffer src) throws ProtocolException {
    long value = 0;
    for (int i = 0; i < MAX_BYTES; i++) {
      if (!src.hasRemaining()) {
        throw new ProtocolException(GoAwayCode.PROTOCOL_ERROR, "truncated varint");
      }
      int b = src.get() & 0xFF;
      value |= (long) (b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        if (b == 0 && i > 0) {
          throw new ProtocolException(GoAwayCode.PROTOCOL_ERROR, "overlong varint encoding");
        }
        if (value > Integer.MAX_VALUE) {
          throw new ProtocolException(
              GoAwayCode.PROTOCOL_ERROR, "varint value " + value + " exceeds 2^31-1");
        }
        return (int) value;
      }
    }
    throw new ProtocolException(GoAwayCode.PROTOCOL_ERROR, "varint longer than 5 bytes");
  }
}
