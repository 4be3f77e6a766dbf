package dev.tether.internal.engine;

import dev.tether.internal.wire.FrameType;
import dev.tether.internal.wire.Frames;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The bytes a socket writes ahead of queued frames: its prelude (preamble and handshake frame, or a
 * refusal), the PONGs owed, this side's PING and its latest ACK, which may overtake queued frames
 * at a frame boundary (PROTOCOL.md §8, §13). Every PING gets its own PONG, in the order they came
 * (the caller bounds how many may be owed); this side's PING and ACK keep one slot each, a newer
 * count replacing an older ACK. What a socket took only in part is written first next time, so
 * frames never interleave.
 *
 * <p>This class is not thread safe; its {@link OutboundBuffer} guards it.
 */
final class ControlLane {
  private static final int FRAME_BYTES = 13;
  private static final byte[] EMPTY = new byte[0];
  private static final long[] NO_PONGS = new long[0];

  private byte[] bytes = EMPTY;
  private int start;
  private int end;

  /** The bytes of the socket's prelude the socket has not taken yet. */
  private int preludeLeft;

  /** The payloads of the PINGs not yet answered, oldest first. */
  private long[] pongs = NO_PONGS;

  private int pongsOwed;
  private boolean pingDue;
  private long pingPayload;
  private long ackValue;
  private long ackSent;
  private boolean ackUrgent;

  /** A new socket: {@code prelude} goes first; what was pending for the old socket is dropped. */
  void startSocket(byte[] prelude) {
    bytes = prelude.clone();
    start = 0;
    end = prelude.length;
    preludeLeft = prelude.length;
    pongsOwed = 0;
    pingDue = false;
    ackUrgent = false;
  }

  /** Adds a whole frame to write after what is pending. */
  void append(byte[] frame) {
    ensure(end - start + frame.length);
    System.arraycopy(frame, 0, bytes, end, frame.length);
    end += frame.length;
  }

  /** Owes the PING with {@code payload} its PONG; returns how many PONGs are owed now. */
  int offerPong(long payload) {
    if (pongsOwed == pongs.length) {
      pongs = Arrays.copyOf(pongs, Math.max(4, 2 * pongs.length));
    }
    pongs[pongsOwed++] = payload;
    return pongsOwed;
  }

  void offerPing(long payload) {
    pingDue = true;
    pingPayload = payload;
  }

  void offerAck(long received, boolean urgent) {
    ackValue = received;
    ackUrgent |= urgent;
  }

  boolean ackUrgent() {
    return ackUrgent && ackValue > ackSent;
  }

  /** Forgets what was acknowledged: a new session counts from 0. */
  void resetAcks() {
    ackValue = 0;
    ackSent = 0;
    ackUrgent = false;
  }

  /** Returns true if a PONG, a PING or an ACK waits for the next frame boundary to be written. */
  boolean slotsDue() {
    return pongsOwed > 0 || pingDue || ackValue > ackSent;
  }

  /** Returns true if nothing is pending, not even a slot: a frame may go straight out. */
  boolean isIdle() {
    return end == 0 && pongsOwed == 0 && !pingDue;
  }

  /** Returns the bytes copied out but not yet taken by the socket. */
  int pending() {
    return end - start;
  }

  /**
   * At a frame boundary with nothing pending, turns the due slots into frames; an ACK rides with
   * other bytes being written, or goes alone if urgent.
   */
  void fillSlots(boolean framesFollow) {
    if (start != end) {
      return;
    }
    for (int i = 0; i < pongsOwed; i++) {
      addFrame(FrameType.PONG, pongs[i]);
    }
    pongsOwed = 0;
    if (pongs.length > 64) {
      pongs = NO_PONGS; // a burst's array goes; a heartbeat's stays
    }
    if (pingDue) {
      addFrame(FrameType.PING, pingPayload);
      pingDue = false;
    }
    if (ackValue > ackSent && (ackUrgent || framesFollow || end > 0)) {
      addFrame(FrameType.ACK, ackValue);
      ackSent = ackValue;
      ackUrgent = false;
    }
  }

  /** Copies pending bytes into {@code dst}; returns how many. */
  int copyTo(ByteBuffer dst) {
    int n = Math.min(end - start, dst.remaining());
    dst.put(bytes, start, n);
    return n;
  }

  /**
   * Returns true once the socket has taken the whole prelude: its frames follow, and the peer has
   * it unless the connection broke before the bytes arrived.
   */
  boolean preludeWritten() {
    return preludeLeft == 0;
  }

  /** The socket took {@code n} of the pending bytes. */
  void consumed(int n) {
    preludeLeft = Math.max(0, preludeLeft - n);
    start += n;
    if (start == end) {
      start = 0;
      end = 0;
      if (bytes.length > 1024) {
        bytes = EMPTY;
      }
    }
  }

  void clear() {
    start = 0;
    end = 0;
  }

  /** Adds a 13-byte PING, PONG or ACK, written by hand so that a heartbeat allocates nothing. */
  private void addFrame(int type, long payload) {
    ensure(end - start + FRAME_BYTES);
    Frames.writeHeader(bytes, end, 9, type);
    Frames.writeLong(bytes, end + Frames.HEADER_BYTES, payload);
    end += FRAME_BYTES;
  }

  private void ensure(int needed) {
    if (start > 0) {
      System.arraycopy(bytes, start, bytes, 0, end - start);
      end -= start;
      start = 0;
    }
    if (needed > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(needed, Math.max(64, bytes.length * 2)));
    }
  }
}
