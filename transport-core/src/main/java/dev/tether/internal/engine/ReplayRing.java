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
  private final ByteRing ring = new ByteRing();
  private int frames;

  /** Bytes of the held frames that take {@link SendMemory} ({@link SendMemory#charge}). */
  private long charged;

  /** The sequence number of the oldest frame held; one past the last acknowledged. */
  private long firstSeq = 1;

  /** Appends one whole frame, the next in sequence. */
  void add(byte[] src, int offset, int length) {
    ring.append(src, offset, length);
    added(length);
  }

  /** Appends one whole frame that lies in a ring buffer, starting at {@code from}. */
  void addFromRing(byte[] src, int from, int length) {
    ring.appendFromRing(src, from, length);
    added(length);
  }

  private void added(int length) {
    frames++;
    charged += SendMemory.charge(length);
  }

  /** Drops every frame up to and including sequence number {@code seq}; returns bytes freed. */
  int acknowledge(long seq) {
    byte[] bytes = ring.array();
    int at = ring.head();
    int freed = 0;
    while (frames > 0 && firstSeq <= seq) {
      int length = Frames.HEADER_BYTES - 1 + Rings.readInt(bytes, at);
      at = Rings.wrap(bytes, at + length);
      freed += length;
      charged -= SendMemory.charge(length);
      frames--;
      firstSeq++;
    }
    ring.drop(freed);
    if (frames == 0) {
      firstSeq = Math.max(firstSeq, seq + 1);
      if (ring.capacity() > 64 * 1024) {
        ring.release();
      }
    }
    return freed;
  }

  /** Returns the held frames as one array, oldest first, and empties the ring. */
  byte[] takeAll() {
    firstSeq += frames;
    frames = 0;
    charged = 0;
    return ring.takeAll();
  }

  /** Forgets everything and starts the sequence at {@code nextSeq}. */
  void reset(long nextSeq) {
    ring.release();
    frames = 0;
    charged = 0;
    firstSeq = nextSeq;
  }

  int size() {
    return ring.size();
  }

  /** Returns the bytes of memory the ring holds, kept frames and room for more. */
  int capacity() {
    return ring.capacity();
  }

  /** Gives back the room beyond the frames held; the next {@link #add} grows the ring again. */
  void trimToSize() {
    ring.trimToSize();
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

  @Override
  public String toString() {
    return "ReplayRing[frames="
        + frames
        + ", bytes="
        + ring.size()
        + ", firstSeq="
        + firstSeq
        + "]";
  }
}
