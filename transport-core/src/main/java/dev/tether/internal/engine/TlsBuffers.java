package dev.tether.internal.engine;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import tlschannel.BufferAllocator;

/**
 * The buffers TLS records are read into and written from, shared by every TLS connection: a bounded
 * pool of heap buffers of one size, the largest a TLS record needs.
 *
 * <p>A connection holds a record buffer only while a record is in flight and gives it back as soon
 * as it is empty, so an idle TLS connection holds none; the pool makes that cheap, since taking and
 * returning a buffer costs a lock instead of an allocation per read and write. Heap buffers,
 * because the JDK's TLS ciphers work on arrays: a direct buffer costs them a copy each way.
 *
 * <p>Thread safe.
 */
final class TlsBuffers implements BufferAllocator {
  /**
   * 17 KiB: a TLS record holds at most 16 KiB of data plus its header and tag (RFC 8446 §5.2), so
   * every record fits and tls-channel never needs to grow a buffer.
   */
  static final int BUFFER_BYTES = 17 * 1024;

  /**
   * Buffers kept for reuse: two per thread doing TLS I/O at once covers the loops and many senders
   * (a bit over 2 MiB); more in use at once are allocated and dropped.
   */
  private static final int POOLED_BUFFERS = 128;

  static final TlsBuffers SHARED = new TlsBuffers();

  private final ArrayDeque<ByteBuffer> pool = new ArrayDeque<>(POOLED_BUFFERS);

  private TlsBuffers() {}

  @Override
  public ByteBuffer allocate(int size) {
    if (size > BUFFER_BYTES) {
      return ByteBuffer.allocate(size); // never asked by tls-channel 0.9: its largest is 17 KiB
    }
    ByteBuffer buffer;
    synchronized (pool) {
      buffer = pool.pollFirst();
    }
    return buffer != null ? buffer : ByteBuffer.allocate(BUFFER_BYTES);
  }

  @Override
  public void free(ByteBuffer buffer) {
    if (buffer.capacity() != BUFFER_BYTES || buffer.isDirect()) {
      return;
    }
    buffer.clear();
    synchronized (pool) {
      if (pool.size() < POOLED_BUFFERS) {
        pool.addFirst(buffer);
      }
    }
  }
}
