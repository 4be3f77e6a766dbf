package dev.tether.testing;

import java.nio.ByteBuffer;
import java.util.Random;

/**
 * Where a payload sits in the buffer handed to {@link dev.tether.codec.Codec#decode}: heap or
 * direct, alone or between other bytes, at even and odd offsets, writable or read-only. A codec
 * must decode the same value from every one of them.
 */
public enum BufferLayout {
  /** A heap buffer holding exactly the payload. */
  HEAP {
    @Override
    public ByteBuffer place(byte[] payload) {
      return ByteBuffer.wrap(payload.clone());
    }
  },
  /** A direct buffer holding exactly the payload. */
  DIRECT {
    @Override
    public ByteBuffer place(byte[] payload) {
      return ByteBuffer.allocateDirect(payload.length).put(payload).flip();
    }
  },
  /** A heap buffer with other bytes before and after: position 7, limit before capacity. */
  HEAP_EMBEDDED {
    @Override
    public ByteBuffer place(byte[] payload) {
      return ByteBuffer.wrap(embed(payload, 7), 7, payload.length);
    }
  },
  /** A slice of a heap buffer: its array offset is 5 and its position 2. */
  HEAP_SLICE_WITH_ARRAY_OFFSET {
    @Override
    public ByteBuffer place(byte[] payload) {
      ByteBuffer slice = ByteBuffer.wrap(embed(payload, 7)).position(5).slice();
      return slice.position(2).limit(2 + payload.length);
    }
  },
  /** A direct buffer with other bytes before and after: position 7, limit before capacity. */
  DIRECT_EMBEDDED {
    @Override
    public ByteBuffer place(byte[] payload) {
      return direct(embed(payload, 7), 7, payload.length);
    }
  },
  /** A direct buffer whose payload starts at an odd address offset, 1. */
  DIRECT_AT_ODD_OFFSET {
    @Override
    public ByteBuffer place(byte[] payload) {
      return direct(embed(payload, 1), 1, payload.length);
    }
  },
  /** A read-only view of a heap buffer, which hides its array. */
  READ_ONLY_HEAP {
    @Override
    public ByteBuffer place(byte[] payload) {
      return ByteBuffer.wrap(embed(payload, 3), 3, payload.length).asReadOnlyBuffer();
    }
  },
  /** A read-only view of a direct buffer. */
  READ_ONLY_DIRECT {
    @Override
    public ByteBuffer place(byte[] payload) {
      return direct(embed(payload, 3), 3, payload.length).asReadOnlyBuffer();
    }
  };

  private static final int GARBAGE_AFTER = 11;

  /** Returns a buffer whose remaining bytes are exactly {@code payload}. */
  public abstract ByteBuffer place(byte[] payload);

  /** Returns {@code payload} with {@code before} seeded bytes in front and a few after it. */
  private static byte[] embed(byte[] payload, int before) {
    byte[] array = new byte[before + payload.length + GARBAGE_AFTER];
    new Random(payload.length).nextBytes(array);
    System.arraycopy(payload, 0, array, before, payload.length);
    return array;
  }

  private static ByteBuffer direct(byte[] array, int position, int length) {
    ByteBuffer direct = ByteBuffer.allocateDirect(array.length).put(array).clear();
    return direct.position(position).limit(position + length);
  }

  /** Returns every byte of the buffer, 0 to capacity, without moving it. */
  public static byte[] contents(ByteBuffer buffer) {
    ByteBuffer whole = buffer.duplicate().clear();
    byte[] all = new byte[whole.remaining()];
    whole.get(all);
    return all;
  }
}
