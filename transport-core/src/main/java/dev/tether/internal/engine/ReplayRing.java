package dev.tether.internal.engine;

import dev.tether.internal.wire.Frames;

/**
 * The message frames a resumable connection has written and the peer has not yet acknowledged
 * (PROTOCOL.md §13), whole and in order, so that they can be written again on a new socket. Frame
 * {@code i} of the ring has the sequence number {@code firstSeq + i}; an acknowledgement drops
 * frames from the front.
 *
 * <p>This class is not thread safe; its {@link OutboundBuffer} guards it.
 */
final class ReplayRing {
  private static final byte[] EMPTY = new byte[0];

  private byte[] ring = EMPTY;
  private int head;
  private int size;
  private int frames;

  /** Bytes of the held frames that take {@link SendMemory} ({@link SendMemory#charge}). */
  private long charged;

  /** The sequence number of the oldest frame held; one past the last acknowledged. */
  private long firstSeq = 1;

  /** Appends one whole frame, the next in sequence. */
  void add(byte[] src, int offset, int length) {
    if (size + length > ring.length) {
      grow(size + length);
    }
    int tail = Rings.wrap(ring, head + size);
    int first = Math.min(length, ring.length - tail);
    System.arraycopy(src, offset, ring, tail, first);
    System.arraycopy(src, offset + first, ring, 0, length - first);
    size += length;
    frames++;
    charged += SendMemory.charge(length);
  }

  /** Appends one whole frame that lies in a ring buffer, starting at {@code from}. */
  void addFromRing(byte[] src, int from, int length) {
    int first = Math.min(length, src.length - from);
    if (size + length > ring.length) {
      grow(size + length);
    }
    int tail = Rings.wrap(ring, head + size);
    copyIn(src, from, tail, first);
    copyIn(src, 0, Rings.wrap(ring, tail + first), length - first);
    size += length;
    frames++;
    charged += SendMemory.charge(length);
  }

  private void copyIn(byte[] src, int from, int at, int length) {
    int first = Math.min(length, ring.length - at);
    System.arraycopy(src, from, ring, at, first);
    System.arraycopy(src, from + first, ring, 0, length - first);
  }

  /** Drops every frame up to and including sequence number {@code seq}; returns bytes freed. */
  int acknowledge(long seq) {
    int freed = 0;
    while (frames > 0 && firstSeq <= seq) {
      int length = Frames.HEADER_BYTES - 1 + Rings.readInt(ring, head);
      head = Rings.wrap(ring, head + length);
      size -= length;
      freed += length;
      charged -= SendMemory.charge(length);
      frames--;
      firstSeq++;
    }
    if (frames == 0) {
      firstSeq = Math.max(firstSeq, seq + 1);
      head = 0;
      if (ring.length > 64 * 1024) {
        ring = EMPTY;
      }
    }
    return freed;
  }

  /** Returns the held frames as one array, oldest first, and empties the ring. */
  byte[] takeAll() {
    byte[] out = copyInto(new byte[size]);
    firstSeq += frames;
    head = 0;
    size = 0;
    frames = 0;
    charged = 0;
    ring = EMPTY;
    return out;
  }

  /** Forgets everything and starts the sequence at {@code nextSeq}. */
  void reset(long nextSeq) {
    ring = EMPTY;
    head = 0;
    size = 0;
    frames = 0;
    charged = 0;
    firstSeq = nextSeq;
  }

  int size() {
    return size;
  }

  /** Returns the bytes of memory the ring holds, kept frames and room for more. */
  int capacity() {
    return ring.length;
  }

  /** Gives back the room beyond the frames held; the next {@link #add} grows the ring again. */
  void trimToSize() {
    if (ring.length > size) {
      ring = copyInto(size == 0 ? EMPTY : new byte[size]);
      head = 0;
    }
  }

  /** Returns the bytes of the held frames that take {@link SendMemory}. */
  long charged() {
    return charged;
  }

  int frames() {
    return frames;
  }

  long firstSeq() {
    return firstSeq;
  }

  private void grow(int needed) {
    ring = copyInto(new byte[Math.max(needed, Math.max(16 * 1024, ring.length * 2))]);
    head = 0;
  }

  /** Copies the held bytes, oldest first, to the start of {@code dest} and returns it. */
  private byte[] copyInto(byte[] dest) {
    int first = Math.min(size, ring.length - head);
    System.arraycopy(ring, head, dest, 0, first);
    System.arraycopy(ring, 0, dest, first, size - first);
    return dest;
  }

  @Override
  public String toString() {
    return "ReplayRing[frames=" + frames + ", bytes=" + size + ", firstSeq=" + firstSeq + "]";
  }
}
