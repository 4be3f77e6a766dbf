package dev.tether.internal.engine;

/**
 * Bytes in a circular array, appended at the tail and dropped from the head: the storage under
 * {@link OutboundBuffer}'s queue and {@link ReplayRing}. It grows by doubling, from 16 KiB, into a
 * new array, so an array read a moment ago ({@link #array}) still holds the bytes it held; and it
 * holds no array at all until the first append and after {@link #release}.
 *
 * <p>Not thread safe: its owner's lock guards it.
 */
final class ByteRing {
  static final int INITIAL_CAPACITY = 16 * 1024;
  private static final byte[] EMPTY = new byte[0];

  private byte[] bytes = EMPTY;
  private int head;
  private int size;

  /** Returns the bytes held. */
  int size() {
    return size;
  }

  /** Returns the bytes of memory held: those held and the room for more. */
  int capacity() {
    return bytes.length;
  }

  /**
   * Returns the array, for a walk from {@link #head} with {@link Rings}; it stays as it is while
   * its bytes are held, since growing makes a new one.
   */
  byte[] array() {
    return bytes;
  }

  /** Returns the index of the oldest byte in {@link #array}. */
  int head() {
    return head;
  }

  /**
   * Makes room for {@code length} more bytes. Called before anything else changes: if it cannot
   * allocate, the ring is as it was.
   */
  void ensureRoom(int length) {
    if (size + length > bytes.length) {
      bytes =
          copyInto(new byte[Math.max(size + length, Math.max(INITIAL_CAPACITY, bytes.length * 2))]);
      head = 0;
    }
  }

  /** Appends {@code src[offset, offset + length)}. */
  void append(byte[] src, int offset, int length) {
    ensureRoom(length);
    copyIn(src, offset, length);
  }

  /** Appends {@code length} bytes that lie in another ring's array, from index {@code from}. */
  void appendFromRing(byte[] src, int from, int length) {
    ensureRoom(length);
    int first = Math.min(length, src.length - from);
    copyIn(src, from, first);
    copyIn(src, 0, length - first);
  }

  private void copyIn(byte[] src, int offset, int length) {
    int tail = Rings.wrap(bytes, head + size);
    int first = Math.min(length, bytes.length - tail);
    System.arraycopy(src, offset, bytes, tail, first);
    System.arraycopy(src, offset + first, bytes, 0, length - first);
    size += length;
  }

  /** Puts {@code before} ahead of the bytes held, in a new array. */
  void prepend(byte[] before) {
    if (before.length == 0) {
      return;
    }
    byte[] merged = new byte[Math.max(INITIAL_CAPACITY, before.length + size)];
    System.arraycopy(before, 0, merged, 0, before.length);
    copyInto(merged, before.length);
    bytes = merged;
    head = 0;
    size += before.length;
  }

  /** Drops the {@code n} oldest bytes. */
  void drop(int n) {
    size -= n;
    head = size == 0 ? 0 : Rings.wrap(bytes, head + n);
  }

  /** Returns the bytes held, oldest first, in an array of their size, and lets the array go. */
  byte[] takeAll() {
    byte[] all = copyInto(new byte[size]);
    release();
    return all;
  }

  /** Drops every byte and lets the array go. */
  void release() {
    bytes = EMPTY;
    head = 0;
    size = 0;
  }

  /** Lets the array go if it holds nothing. */
  void releaseIfEmpty() {
    if (size == 0) {
      release();
    }
  }

  /** Gives back the room beyond the bytes held; the next append grows the ring again. */
  void trimToSize() {
    if (bytes.length > size) {
      bytes = size == 0 ? EMPTY : copyInto(new byte[size]);
      head = 0;
    }
  }

  private byte[] copyInto(byte[] dest) {
    copyInto(dest, 0);
    return dest;
  }

  /** Copies the bytes held, oldest first, to {@code dest} from index {@code at}. */
  private void copyInto(byte[] dest, int at) {
    int first = Math.min(size, bytes.length - head);
    System.arraycopy(bytes, head, dest, at, first);
    System.arraycopy(bytes, 0, dest, at + first, size - first);
  }
}
