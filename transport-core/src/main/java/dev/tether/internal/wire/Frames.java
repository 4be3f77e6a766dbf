package dev.tether.internal.wire;

import java.nio.ByteBuffer;

/** Builders of small control frames; the hot DATA path writes its header in place instead. */
public final class Frames {
  /** Bytes before the body: u32 length and u8 type. */
  public static final int HEADER_BYTES = 5;

  private Frames() {}

  /** Allocates a heap buffer for one frame with its header written and the position at the body. */
  public static ByteBuffer allocate(int type, int bodyLength) {
    ByteBuffer frame = ByteBuffer.allocate(HEADER_BYTES + bodyLength);
    frame.putInt(bodyLength + 1).put((byte) type);
    return frame;
  }

  /** Encodes a PING or PONG frame with its 8 opaque bytes. */
  public static void writePingPong(ByteBuffer dst, int type, long payload) {
    dst.putInt(9).put((byte) type).putLong(payload);
  }

  /** Writes the frame header at {@code offset} of {@code dst}. */
  public static void writeHeader(byte[] dst, int offset, int frameLength, int type) {
    dst[offset] = (byte) (frameLength >>> 24);
    dst[offset + 1] = (byte) (frameLength >>> 16);
    dst[offset + 2] = (byte) (frameLength >>> 8);
    dst[offset + 3] = (byte) frameLength;
    dst[offset + 4] = (byte) type;
  }

  /** Writes a big-endian u64 at {@code offset}. */
  public static void writeLong(byte[] dst, int offset, long value) {
    for (int i = 7; i >= 0; i--) {
      dst[offset + i] = (byte) value;
      value >>>= 8;
    }
  }
}
