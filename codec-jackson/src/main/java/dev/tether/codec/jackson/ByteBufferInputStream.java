package dev.tether.codec.jackson;

import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * Reads the bytes between a buffer's position and limit without copying them first and without
 * moving the buffer's position. Used for direct buffers, which have no array Jackson could parse in
 * place.
 *
 * <p>This class is not thread safe; it lives for one decode call.
 */
final class ByteBufferInputStream extends InputStream {
  private final ByteBuffer buffer;
  private final int limit;
  private int index;

  ByteBufferInputStream(ByteBuffer buffer) {
    this.buffer = buffer;
    this.index = buffer.position();
    this.limit = buffer.limit();
  }

  @Override
  public int read() {
    return index < limit ? buffer.get(index++) & 0xFF : -1;
  }

  @Override
  public int read(byte[] dst, int offset, int length) {
    if (length == 0) {
      return 0;
    }
    int count = Math.min(length, limit - index);
    if (count <= 0) {
      return -1;
    }
    buffer.get(index, dst, offset, count);
    index += count;
    return count;
  }

  @Override
  public int available() {
    return limit - index;
  }
}
