package dev.tether.internal.wire;

import dev.tether.GoAwayCode;
import java.nio.ByteBuffer;

/**
 * Splits a byte stream into frames, whatever way the bytes are split on arrival (PROTOCOL.md §3).
 *
 * <pre>
 * +-------------------+------------+------------------------+
 * | length : u32      | type : u8  | body : length-1 bytes  |
 * +-------------------+------------+------------------------+
 * </pre>
 *
 * <p>A {@code length} of 0 or above the current limit is rejected before anything is allocated for
 * the body. Frames that arrive whole are handed to the listener in place, without copying; only a
 * frame split across reads is gathered into an internal buffer, which grows with the bytes that
 * actually arrive (doubling, up to the frame's length), never with what the header announces: a
 * peer that announces 16 MiB and sends six bytes holds a few kilobytes. Optionally the stream
 * starts with the 8-byte preamble.
 *
 * <p>The listener may ask to pause (backpressure), after a frame or before a large frame is
 * gathered ({@link Listener#admit}); the bytes not yet consumed are kept, bounded by the size of
 * the last input, and handed out by {@link #resume}.
 *
 * <p>This class is not thread safe.
 */
public final class FrameDecoder {
  /** The frame length limit before the handshake has completed (PROTOCOL.md §3). */
  public static final int HANDSHAKE_MAX_FRAME_LENGTH = 64 * 1024;

  private static final int LENGTH_FIELD_BYTES = 4;
  private static final int HEADER_BYTES = LENGTH_FIELD_BYTES + 1;

  /** Gathering buffers up to this size are kept for reuse; larger ones are dropped after use. */
  private static final int RETAINED_CAPACITY = 64 * 1024;

  /** Frames with a {@code length} above this are {@linkplain Listener#admit admitted} first. */
  public static final int ADMIT_ABOVE = 64 * 1024;

  /** Receives decoded frames. */
  public interface Listener {
    /** Called once with the 8 preamble bytes, if a preamble was expected. */
    void onPreamble(byte[] preamble) throws ProtocolException;

    /**
     * Called for each frame. {@code body} holds the bytes after the type byte between its position
     * and limit, and is only valid during the call.
     *
     * @return true to go on, false to pause until {@link #resume}
     */
    boolean onFrame(int type, ByteBuffer body) throws ProtocolException;

    /**
     * Called once for each frame whose {@code length} is over {@link #ADMIT_ABOVE}, as soon as its
     * length field has arrived and before any of its body is gathered or delivered.
     *
     * @return true to go on, false to pause until {@link #resume}; the frame is then offered again
     */
    default boolean admit(int length) {
      return true;
    }

    /** Called after {@link #onFrame} (even if it threw) for each frame that was admitted. */
    default void afterAdmitted() {}
  }

  private int maxFrameLength;
  private byte[] preamble;
  private int preambleRead;

  /** Bytes received but not consumed, in read mode; empty (limit 0) when none. */
  private ByteBuffer pending = ByteBuffer.allocate(0);

  private boolean paused;

  /** True once the frame at the head of the input was admitted, until it is delivered. */
  private boolean admitted;

  /**
   * @param maxFrameLength the largest {@code length} accepted, at least 1
   * @param expectPreamble whether the stream starts with the 8-byte preamble
   */
  public FrameDecoder(int maxFrameLength, boolean expectPreamble) {
    maxFrameLength(maxFrameLength);
    if (expectPreamble) {
      preamble = new byte[Preamble.LENGTH];
    }
  }

  /** The largest limit: a whole frame, length field included, must fit in a Java array. */
  public static final int MAX_FRAME_LENGTH = Integer.MAX_VALUE - 16;

  /** Changes the length limit, e.g. once the handshake has completed. */
  public void maxFrameLength(int maxFrameLength) {
    if (maxFrameLength < 1 || maxFrameLength > MAX_FRAME_LENGTH) {
      throw new IllegalArgumentException(
          "maxFrameLength must be 1.." + MAX_FRAME_LENGTH + ", was " + maxFrameLength);
    }
    this.maxFrameLength = maxFrameLength;
  }

  public int maxFrameLength() {
    return maxFrameLength;
  }

  /** Returns true while the listener's pause is in effect. */
  public boolean isPaused() {
    return paused;
  }

  /** Returns how many bytes are held back, for tests and metrics. */
  public int pendingBytes() {
    return pending.remaining();
  }

  /**
   * Takes over what {@code previous} received and did not deliver, its preamble behind it (a socket
   * handed from one connection to another): those bytes come first, once {@link #resume} is called,
   * as after a pause. {@code previous} is left empty.
   */
  public void takeOver(FrameDecoder previous) {
    if (!previous.pending.hasRemaining()) {
      return;
    }
    stash(previous.pending);
    previous.releasePending();
    paused = true;
  }

  /** Returns the capacity of the gathering buffer: the memory this decoder holds. */
  public int heldCapacity() {
    return pending.capacity();
  }

  /**
   * Consumes all of {@code src}, delivering every complete frame, unless the listener pauses; the
   * rest is kept. Must not be called while paused.
   *
   * @throws ProtocolException FRAME_TOO_LARGE or PROTOCOL_ERROR for a bad length; whatever the
   *     listener throws
   */
  public void decode(ByteBuffer src, Listener listener) throws ProtocolException {
    if (paused) {
      throw new IllegalStateException("decoder is paused; call resume first");
    }
    if (preamble != null) {
      int n = Math.min(src.remaining(), Preamble.LENGTH - preambleRead);
      src.get(preamble, preambleRead, n);
      preambleRead += n;
      if (preambleRead < Preamble.LENGTH) {
        return;
      }
      byte[] received = preamble;
      preamble = null;
      listener.onPreamble(received);
    }
    while (true) {
      if (pending.hasRemaining()) {
        int needed = decodeFrom(pending, listener);
        if (paused) {
          stash(src);
          return;
        }
        if (needed > 0) {
          if (!src.hasRemaining()) {
            return;
          }
          topUp(src, needed);
        } else if (!pending.hasRemaining()) {
          releasePending();
        }
        continue;
      }
      if (!src.hasRemaining()) {
        return;
      }
      int needed = decodeFrom(src, listener);
      if (paused || needed > 0) {
        stash(src);
        return;
      }
    }
  }

  /**
   * Lifts a pause and delivers the frames held back, until they run out or the listener pauses
   * again.
   */
  public void resume(Listener listener) throws ProtocolException {
    paused = false;
    while (pending.hasRemaining() && !paused) {
      if (decodeFrom(pending, listener) > 0) {
        return;
      }
    }
    if (!pending.hasRemaining()) {
      releasePending();
    }
  }

  /**
   * Delivers at most one frame from {@code buf}.
   *
   * @return 0 if a frame was delivered (or the buffer is empty, or the listener refused to admit
   *     the next frame: paused), else the total number of bytes the next frame needs, counted from
   *     the buffer's position
   */
  private int decodeFrom(ByteBuffer buf, Listener listener) throws ProtocolException {
    int start = buf.position();
    int available = buf.remaining();
    if (available < LENGTH_FIELD_BYTES) {
      return available == 0 ? 0 : LENGTH_FIELD_BYTES;
    }
    long length = buf.getInt(start) & 0xFFFF_FFFFL;
    if (length == 0) {
      throw new ProtocolException(
          GoAwayCode.PROTOCOL_ERROR, "frame length 0: a frame holds at least its type byte");
    }
    if (length > maxFrameLength) {
      throw new ProtocolException(
          GoAwayCode.FRAME_TOO_LARGE,
          "frame length " + length + " exceeds the limit of " + maxFrameLength + " bytes");
    }
    if (length > ADMIT_ABOVE && !admitted) {
      if (!listener.admit((int) length)) {
        paused = true;
        return 0;
      }
      admitted = true;
    }
    int total = LENGTH_FIELD_BYTES + (int) length; // cannot overflow: length <= MAX_FRAME_LENGTH
    if (available < total) {
      return total;
    }
    int type = buf.get(start + LENGTH_FIELD_BYTES) & 0xFF;
    int limit = buf.limit();
    int end = start + total;
    buf.limit(end).position(start + HEADER_BYTES);
    boolean goOn;
    try {
      goOn = listener.onFrame(type, buf);
    } finally {
      buf.limit(limit).position(end);
      if (admitted) {
        admitted = false;
        listener.afterAdmitted();
      }
    }
    if (!goOn) {
      paused = true;
    }
    return 0;
  }

  /**
   * Moves bytes from {@code src} into {@code pending}, up to {@code needed} bytes in all; the
   * buffer grows only as far as the bytes at hand require.
   */
  private void topUp(ByteBuffer src, int needed) {
    int held = pending.remaining();
    ensurePendingCapacity(held + Math.min(src.remaining(), needed - held), needed);
    pending.compact();
    int n = Math.min(src.remaining(), needed - pending.position());
    int limit = src.limit();
    src.limit(src.position() + n);
    pending.put(src);
    src.limit(limit);
    pending.flip();
  }

  /** Keeps all of {@code src}'s remaining bytes after the pending ones. */
  private void stash(ByteBuffer src) {
    if (!src.hasRemaining()) {
      return;
    }
    int capacity = pending.remaining() + src.remaining();
    ensurePendingCapacity(capacity, capacity);
    pending.compact();
    pending.put(src);
    pending.flip();
  }

  /**
   * Makes room for {@code capacity} bytes, doubling so that gathering a large frame costs linear
   * time, but never past {@code max} (the frame's whole length): memory follows what arrived.
   */
  private void ensurePendingCapacity(int capacity, int max) {
    if (pending.capacity() < capacity) {
      long doubled = Math.max(1024L, 2L * pending.capacity());
      int size = (int) Math.max(capacity, Math.min(max, doubled));
      ByteBuffer bigger = ByteBuffer.allocate(size);
      bigger.put(pending).flip();
      pending = bigger;
    }
  }

  private void releasePending() {
    if (pending.capacity() > RETAINED_CAPACITY) {
      pending = ByteBuffer.allocate(0);
    } else {
      pending.clear().limit(0);
    }
  }
}
