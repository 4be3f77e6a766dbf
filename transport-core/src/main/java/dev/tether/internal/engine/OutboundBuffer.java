package dev.tether.internal.engine;

import dev.tether.internal.wire.FrameType;
import dev.tether.internal.wire.Frames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Everything a connection writes, in the order the wire needs it, bounded in bytes.
 *
 * <ul>
 *   <li>The <em>ring</em> holds whole frames the application (and the transport, for error
 *       responses and the final GOAWAY) queued. Senders append under a lock, so frames never
 *       interleave; the loop copies bytes out ({@link #drainTo}), writes them and reports what the
 *       socket took ({@link #written}). A frame leaves the ring only once wholly written, so a
 *       frame cut by a broken socket can be written again whole on the next one.
 *   <li>The <em>control</em> bytes go first: the prelude of a socket (preamble and handshake
 *       frame), then, at a frame boundary, the latest PONG, PING and ACK, which may overtake queued
 *       frames (PROTOCOL.md §8). Each kind keeps one slot, so a peer that pings without reading
 *       costs one PONG, not one per PING.
 *   <li>On a resumable connection the <em>replay</em> ring keeps the message frames written but not
 *       yet acknowledged, so that {@link #rewind} can write them again after a reconnect; they
 *       count against the bound, so backpressure covers them.
 * </ul>
 *
 * <p>How an append treats the bound depends on who appends ({@link Mode}): an application thread
 * waits for room and gives up only after the send timeout has passed <em>without progress</em> (no
 * byte written, no acknowledgement), so a slow but steady peer never times a sender out; an event
 * loop never waits; frames the transport owes the peer are always accepted, and the connection
 * stops reading while the queue is over its bound.
 *
 * <p>The buffer counts the message frames (DATA, REQUEST, RESPONSE) it holds and numbers the ones
 * written, so that a close can say how many accepted messages were never written, and a resumable
 * connection knows its sequence.
 *
 * <p>Thread safe. The rings are allocated on first use and released when idle.
 */
final class OutboundBuffer {
  static final int ACCEPTED = 0;
  static final int BACK_PRESSURED = 1;
  static final int CLOSED = 2;

  /** Who appends, and so how the bound applies. */
  enum Mode {
    /** An application thread: waits for room up to the given time without progress. */
    WAIT,
    /** {@code trySend}: never waits; back-pressured when there is no room. */
    NO_WAIT,
    /** An event-loop thread: never waits; accepted up to twice the bound. */
    LOOP,
    /** Frames the transport owes: accepted whatever the bound, unless closed. */
    FORCE
  }

  private static final int INITIAL_CAPACITY = 16 * 1024;
  private static final int CONTROL_FRAME_BYTES = 13;
  private static final byte[] EMPTY = new byte[0];

  /** A {@code sendAsync} frame waiting for room, in order. */
  private record PendingSend(byte[] frame, CompletableFuture<Void> accepted) {}

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notFull = lock.newCondition();
  private final int limit;
  private final Supplier<? extends RuntimeException> closedCause;

  private byte[] ring = EMPTY;
  private int head;
  private int size;

  /** Bytes of the frame at the head already written to the current socket. */
  private int headWritten;

  private int queuedMessages;
  private int waiters;
  private boolean socketOpen;
  private boolean closed;
  private boolean discarded;
  private long lastProgressNanos = System.nanoTime();

  private final ArrayDeque<PendingSend> pendingSends = new ArrayDeque<>(0);
  private long pendingBytes;

  /** Control bytes to write before anything else: what is left of a prelude or control frame. */
  private byte[] control = EMPTY;

  private int controlStart;
  private int controlEnd;
  private boolean pongDue;
  private long pongPayload;
  private boolean pingDue;
  private long pingPayload;
  private long ackValue;
  private long ackSent;
  private boolean ackUrgent;

  /** Bytes of control and ring copied by the last {@link #drainTo}. */
  private int lastControlCopied;

  /** Message frames wholly written since the session began; the last one's sequence number. */
  private long sentSeq;

  private ReplayRing replay;

  /**
   * @param limit the bound in bytes
   * @param closedCause makes the exception that refused {@code sendAsync} frames fail with
   */
  OutboundBuffer(int limit, Supplier<? extends RuntimeException> closedCause) {
    this.limit = limit;
    this.closedCause = closedCause;
  }

  // ------------------------------------------------------------------ appending (any thread)

  /**
   * Appends one whole frame to the ring.
   *
   * @param waitNanos for {@link Mode#WAIT}: how long to wait without progress
   * @return {@link #ACCEPTED}, {@link #BACK_PRESSURED} or {@link #CLOSED}
   * @throws InterruptedException if interrupted while waiting
   */
  int append(byte[] frame, int length, Mode mode, long waitNanos) throws InterruptedException {
    lock.lock();
    try {
      if (closed) {
        return CLOSED;
      }
      switch (mode) {
        case FORCE -> {
          put(frame, length);
          return ACCEPTED;
        }
        case LOOP -> {
          if (held() != 0 && (long) held() + length > 2L * limit) {
            return BACK_PRESSURED;
          }
        }
        case NO_WAIT -> {
          if (!hasRoom(length)) {
            return BACK_PRESSURED;
          }
        }
        case WAIT -> {
          long start = System.nanoTime();
          while (!hasRoom(length)) {
            long since = lastProgressNanos - start > 0 ? lastProgressNanos : start;
            long left = Deadlines.after(since, waitNanos) - System.nanoTime();
            if (left <= 0) {
              return BACK_PRESSURED;
            }
            waiters++;
            try {
              notFull.awaitNanos(left);
            } finally {
              waiters--;
            }
            if (closed) {
              return CLOSED;
            }
          }
        }
      }
      put(frame, length);
      return ACCEPTED;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Appends a frame if there is room, or else keeps it, in order, until there is; the future
   * completes once the frame is in the ring and fails with the close's cause if the buffer closes
   * first. Frames kept waiting are bounded by the same limit as the ring.
   *
   * @return {@link #ACCEPTED} (possibly still waiting), {@link #BACK_PRESSURED} if even the waiting
   *     room is full, or {@link #CLOSED}
   */
  int appendAsync(byte[] frame, int length, CompletableFuture<Void> accepted) {
    lock.lock();
    try {
      if (closed) {
        return CLOSED;
      }
      if (hasRoom(length)) {
        put(frame, length);
      } else if (pendingBytes + length <= limit || pendingSends.isEmpty()) {
        pendingSends.add(new PendingSend(Arrays.copyOf(frame, length), accepted));
        pendingBytes += length;
        return ACCEPTED;
      } else {
        return BACK_PRESSURED;
      }
    } finally {
      lock.unlock();
    }
    accepted.complete(null);
    return ACCEPTED;
  }

  /**
   * Appends the last frame (GOAWAY) and closes the buffer to every later append; frames still
   * waiting in {@link #appendAsync} are refused. Returns false if it was already closed.
   */
  boolean appendFinal(byte[] frame) {
    List<CompletableFuture<Void>> refused;
    lock.lock();
    try {
      if (closed) {
        return false;
      }
      put(frame, frame.length);
      closed = true;
      notFull.signalAll();
      refused = takePending();
    } finally {
      lock.unlock();
    }
    refuse(refused);
    return true;
  }

  /**
   * Starts a socket: {@code prelude} (its preamble and handshake frame) is written before anything
   * else, and whatever control bytes were pending for the previous socket are dropped.
   */
  void startSocket(byte[] prelude) {
    lock.lock();
    try {
      socketOpen = false;
      control = prelude.clone();
      controlStart = 0;
      controlEnd = prelude.length;
      headWritten = 0;
      pongDue = false;
      pingDue = false;
      ackUrgent = false;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Opens the socket to frames, once its handshake is done and any replay is queued: until then
   * only its prelude is written (a frame written before the WELCOME would be read by a handshake
   * that does not expect it, and numbered before the replay that must precede it), and senders do
   * not write straight to it.
   */
  void socketOpen(boolean open) {
    lock.lock();
    try {
      socketOpen = open;
    } finally {
      lock.unlock();
    }
  }

  /** Adds bytes (a frame) to write after the prelude, e.g. a server's refusal. */
  void appendControl(byte[] frame) {
    lock.lock();
    try {
      ensureControl(controlEnd - controlStart + frame.length);
      System.arraycopy(frame, 0, control, controlEnd, frame.length);
      controlEnd += frame.length;
    } finally {
      lock.unlock();
    }
  }

  /** Answers a PING; only the latest unanswered one is kept. */
  void offerPong(long payload) {
    lock.lock();
    try {
      pongDue = true;
      pongPayload = payload;
    } finally {
      lock.unlock();
    }
  }

  /** Queues a heartbeat PING unless one is queued already. */
  void offerPing(long payload) {
    lock.lock();
    try {
      pingDue = true;
      pingPayload = payload;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Records that this side has received {@code received} message frames; an ACK saying so rides
   * with the next write, or goes on its own if {@code urgent}.
   */
  void offerAck(long received, boolean urgent) {
    lock.lock();
    try {
      ackValue = received;
      ackUrgent |= urgent;
    } finally {
      lock.unlock();
    }
  }

  /** Returns true if an ACK must be written even though nothing else is. */
  boolean ackUrgent() {
    lock.lock();
    try {
      return ackUrgent && ackValue > ackSent;
    } finally {
      lock.unlock();
    }
  }

  // ------------------------------------------------------------------ writing (loop)

  /**
   * Copies what is to be written next into {@code dst}: control bytes first (the rest of a prelude
   * or of a control frame, then, at a frame boundary, PONG, PING and ACK), then frames from the
   * ring. Returns the number of bytes copied; report what the socket took with {@link #written}.
   */
  int drainTo(ByteBuffer dst) {
    lock.lock();
    try {
      boolean boundary = headWritten == 0;
      boolean frames = socketOpen || closed; // closed: a refusal's GOAWAY follows the preamble
      if (controlStart == controlEnd && boundary && socketOpen) {
        boolean writing = size > 0;
        if (pongDue) {
          addControlFrame(FrameType.PONG, pongPayload);
          pongDue = false;
        }
        if (pingDue) {
          addControlFrame(FrameType.PING, pingPayload);
          pingDue = false;
        }
        if (ackValue > ackSent && (ackUrgent || writing || controlEnd > 0)) {
          addControlFrame(FrameType.ACK, ackValue);
          ackSent = ackValue;
          ackUrgent = false;
        }
      }
      int n = Math.min(controlEnd - controlStart, dst.remaining());
      dst.put(control, controlStart, n);
      lastControlCopied = n;
      if (controlStart + n < controlEnd || !frames) {
        return n;
      }
      int from = (head + headWritten) % Math.max(1, ring.length);
      int m = Math.min(size - headWritten, dst.remaining());
      int first = Math.min(m, ring.length - from);
      dst.put(ring, from, first);
      if (first < m) {
        dst.put(ring, 0, m - first);
      }
      return n + m;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Records that the socket took {@code n} of the bytes the last {@link #drainTo} copied, moves
   * {@code sendAsync} frames in while there is room, and wakes waiting senders.
   *
   * @return true if the buffer went from over its bound to under it
   */
  boolean written(int n) {
    List<CompletableFuture<Void>> accepted = null;
    boolean writable;
    lock.lock();
    try {
      if (discarded || n <= 0) {
        return false;
      }
      boolean wasFull = !isWritableLocked();
      int fromControl = Math.min(n, lastControlCopied);
      controlStart += fromControl;
      if (controlStart == controlEnd) {
        controlStart = 0;
        controlEnd = 0;
        if (control.length > 1024) {
          control = EMPTY;
        }
      }
      advance(n - fromControl);
      lastProgressNanos = System.nanoTime();
      accepted = admitPending();
      if (waiters > 0) {
        notFull.signalAll();
      }
      writable = wasFull && isWritableLocked();
    } finally {
      lock.unlock();
    }
    complete(accepted);
    return writable;
  }

  /**
   * Writes a frame straight to {@code channel} if nothing else is waiting to be written, so that an
   * isolated send needs no event-loop wake-up. Whatever the socket does not take is queued ahead of
   * any later frame. The lock is held across the non-blocking write, so nothing slips in.
   *
   * @param frame one whole frame between position and limit; consumed by the call
   * @return the bytes written, or -1 if nothing was done (something queued, or closed)
   */
  int writeDirect(ByteBuffer frame, WritableByteChannel channel) throws IOException {
    lock.lock();
    try {
      if (!socketOpen
          || size != 0
          || closed
          || controlEnd != 0
          || pongDue
          || pingDue
          || !pendingSends.isEmpty()) {
        return -1;
      }
      int start = frame.position();
      int length = frame.remaining();
      int type = frame.get(start + Frames.HEADER_BYTES - 1);
      int written = channel.write(frame);
      if (written > 0) {
        lastProgressNanos = System.nanoTime();
      }
      if (written == length) {
        // the common case: nothing to keep, unless the session replays
        if (isMessage(type)) {
          sentSeq++;
          if (replay != null) {
            replay.add(frame.array(), frame.arrayOffset() + start, length);
          }
        }
        return written;
      }
      frame.position(start);
      put(frame, length);
      advance(Math.max(0, written));
      return Math.max(0, written);
    } finally {
      lock.unlock();
    }
  }

  // ------------------------------------------------------------------ resumption (loop)

  /** Keeps written message frames until acknowledged, numbering them from the session's start. */
  void enableReplay() {
    lock.lock();
    try {
      if (replay == null) {
        replay = new ReplayRing();
        replay.reset(sentSeq + 1);
      }
    } finally {
      lock.unlock();
    }
  }

  boolean replayEnabled() {
    lock.lock();
    try {
      return replay != null;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The peer has received {@code seq} message frames: drops them from the replay ring.
   *
   * @return true if the buffer went from over its bound to under it
   * @throws IllegalArgumentException if {@code seq} is more than was ever sent
   */
  boolean acknowledge(long seq) {
    List<CompletableFuture<Void>> accepted;
    boolean writable;
    lock.lock();
    try {
      if (replay == null) {
        return false;
      }
      if (seq > sentSeq) {
        throw new IllegalArgumentException(
            "the peer acknowledges " + seq + " messages, but only " + sentSeq + " were sent");
      }
      boolean wasFull = !isWritableLocked();
      if (replay.acknowledge(seq) > 0) {
        lastProgressNanos = System.nanoTime();
      }
      accepted = admitPending();
      if (waiters > 0) {
        notFull.signalAll();
      }
      writable = wasFull && isWritableLocked();
    } finally {
      lock.unlock();
    }
    complete(accepted);
    return writable;
  }

  /**
   * Prepares a new socket of a resumed session: the peer has received {@code peerReceived} message
   * frames, so the ones after it are written again, whole, before the frames still queued.
   *
   * @return false if the peer's position cannot be served (it claims more than was sent, or less
   *     than was already acknowledged)
   */
  boolean rewind(long peerReceived) {
    lock.lock();
    try {
      if (replay == null || peerReceived > sentSeq || peerReceived < replay.firstSeq() - 1) {
        return false;
      }
      replay.acknowledge(peerReceived);
      int replayedFrames = replay.frames();
      byte[] again = replay.takeAll();
      if (again.length > 0) {
        byte[] merged = new byte[Math.max(INITIAL_CAPACITY, again.length + size)];
        System.arraycopy(again, 0, merged, 0, again.length);
        int first = Math.min(size, ring.length - head);
        System.arraycopy(ring, head, merged, again.length, first);
        System.arraycopy(ring, 0, merged, again.length + first, size - first);
        ring = merged;
        head = 0;
        size += again.length;
      }
      queuedMessages += replayedFrames;
      sentSeq = peerReceived;
      replay.reset(peerReceived + 1);
      headWritten = 0;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Returns how many message frames have been wholly written in this session. */
  long sentSeq() {
    lock.lock();
    try {
      return sentSeq;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Starts a new session after the old one was lost: drops every queued and unacknowledged frame
   * and every waiting {@code sendAsync} (failed with the close cause), and numbers from 1 again.
   *
   * @return how many accepted messages were dropped unwritten
   */
  long dropSession() {
    List<CompletableFuture<Void>> refused;
    long dropped;
    lock.lock();
    try {
      dropped = queuedMessages + pendingSends.size();
      ring = EMPTY;
      head = 0;
      size = 0;
      headWritten = 0;
      queuedMessages = 0;
      sentSeq = 0;
      ackValue = 0;
      ackSent = 0;
      replay = null;
      refused = takePending();
      notFull.signalAll();
    } finally {
      lock.unlock();
    }
    refuse(refused);
    return dropped;
  }

  /** Returns how many message frames were written and not acknowledged. */
  int unacknowledged() {
    lock.lock();
    try {
      return replay == null ? 0 : replay.frames();
    } finally {
      lock.unlock();
    }
  }

  // ------------------------------------------------------------------ state (any thread)

  /**
   * Closes the buffer and drops what it holds; waiting senders see {@link #CLOSED}.
   *
   * @return how many accepted messages were dropped without being wholly written
   */
  int discard() {
    List<CompletableFuture<Void>> refused;
    int unsent;
    lock.lock();
    try {
      unsent = queuedMessages + pendingSends.size();
      closed = true;
      discarded = true;
      size = 0;
      head = 0;
      headWritten = 0;
      ring = EMPTY;
      queuedMessages = 0;
      controlStart = 0;
      controlEnd = 0;
      if (replay != null) {
        replay.reset(sentSeq + 1);
      }
      notFull.signalAll();
      refused = takePending();
    } finally {
      lock.unlock();
    }
    refuse(refused);
    return unsent;
  }

  boolean isClosed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  /** Returns true once the final frame and everything before it have been written. */
  boolean isDrained() {
    lock.lock();
    try {
      return closed && size == 0 && controlEnd == 0;
    } finally {
      lock.unlock();
    }
  }

  /** Returns true while the buffer is under its bound and no {@code sendAsync} frame waits. */
  boolean isWritable() {
    lock.lock();
    try {
      return isWritableLocked();
    } finally {
      lock.unlock();
    }
  }

  /** Returns the bytes held: queued, and kept for replay. */
  int size() {
    lock.lock();
    try {
      return held();
    } finally {
      lock.unlock();
    }
  }

  /** Returns the bytes still to be written to the socket. */
  int unwritten() {
    lock.lock();
    try {
      return size - headWritten + controlEnd - controlStart;
    } finally {
      lock.unlock();
    }
  }

  /** Returns the accepted messages not yet wholly written, those waiting for room included. */
  int queuedMessages() {
    lock.lock();
    try {
      return queuedMessages + pendingSends.size();
    } finally {
      lock.unlock();
    }
  }

  /** Returns when the socket last took bytes, or the peer last acknowledged some, in nanoTime. */
  long lastProgressNanos() {
    lock.lock();
    try {
      return lastProgressNanos;
    } finally {
      lock.unlock();
    }
  }

  /** Gives the ring's memory back if it is empty. */
  void trim() {
    lock.lock();
    try {
      if (size == 0 && ring.length > 0) {
        ring = EMPTY;
        head = 0;
      }
    } finally {
      lock.unlock();
    }
  }

  // ------------------------------------------------------------------ internals (lock held)

  private int held() {
    return size + (replay == null ? 0 : replay.size());
  }

  private boolean isWritableLocked() {
    return held() < limit && pendingSends.isEmpty();
  }

  /** Returns true if a frame of {@code length} may be appended now, behind no waiting send. */
  private boolean hasRoom(int length) {
    return pendingSends.isEmpty() && fits(length);
  }

  private boolean fits(int length) {
    int held = held();
    return held == 0 || (long) held + length <= limit;
  }

  private static boolean isMessage(int type) {
    return type == FrameType.DATA || type == FrameType.REQUEST || type == FrameType.RESPONSE;
  }

  private void put(byte[] frame, int length) {
    if (discarded || length == 0) {
      return;
    }
    if (isMessage(frame[Frames.HEADER_BYTES - 1])) {
      queuedMessages++;
    }
    ensureRing(length);
    int tail = (head + size) % ring.length;
    int first = Math.min(length, ring.length - tail);
    System.arraycopy(frame, 0, ring, tail, first);
    System.arraycopy(frame, first, ring, 0, length - first);
    size += length;
  }

  private void put(ByteBuffer frame, int length) {
    if (discarded) {
      return;
    }
    if (isMessage(frame.get(frame.position() + Frames.HEADER_BYTES - 1))) {
      queuedMessages++;
    }
    ensureRing(length);
    int tail = (head + size) % ring.length;
    int first = Math.min(length, ring.length - tail);
    frame.get(ring, tail, first);
    frame.get(ring, 0, length - first);
    size += length;
  }

  private void ensureRing(int length) {
    if (size + length > ring.length) {
      byte[] bigger =
          new byte[Math.max(size + length, Math.max(INITIAL_CAPACITY, ring.length * 2))];
      int first = Math.min(size, ring.length - head);
      System.arraycopy(ring, head, bigger, 0, first);
      System.arraycopy(ring, 0, bigger, first, size - first);
      ring = bigger;
      head = 0;
    }
  }

  /** The socket took {@code n} ring bytes: frames wholly written leave the ring. */
  private void advance(int n) {
    headWritten += n;
    while (size > 0) {
      int length = Frames.HEADER_BYTES - 1 + readIntAt(head);
      if (headWritten < length) {
        break;
      }
      int type = ring[(head + Frames.HEADER_BYTES - 1) % ring.length];
      if (isMessage(type)) {
        queuedMessages--;
        sentSeq++;
        if (replay != null) {
          replay.addFromRing(ring, head, length);
        }
      }
      head = (head + length) % ring.length;
      size -= length;
      headWritten -= length;
    }
    if (size == 0) {
      head = 0;
    }
  }

  private int readIntAt(int at) {
    int value = 0;
    for (int i = 0; i < 4; i++) {
      value = (value << 8) | (ring[(at + i) % ring.length] & 0xFF);
    }
    return value;
  }

  /**
   * Adds a 13-byte PING, PONG or ACK frame; written by hand so that a heartbeat allocates nothing.
   */
  private void addControlFrame(int type, long payload) {
    ensureControl(controlEnd - controlStart + CONTROL_FRAME_BYTES);
    Frames.writeHeader(control, controlEnd, 9, type);
    Frames.writeLong(control, controlEnd + Frames.HEADER_BYTES, payload);
    controlEnd += CONTROL_FRAME_BYTES;
  }

  private void ensureControl(int needed) {
    if (controlStart > 0) {
      System.arraycopy(control, controlStart, control, 0, controlEnd - controlStart);
      controlEnd -= controlStart;
      controlStart = 0;
    }
    if (needed > control.length) {
      control = Arrays.copyOf(control, Math.max(needed, Math.max(64, control.length * 2)));
    }
  }

  private List<CompletableFuture<Void>> admitPending() {
    List<CompletableFuture<Void>> accepted = null;
    while (!pendingSends.isEmpty() && fits(pendingSends.peek().frame().length)) {
      PendingSend next = pendingSends.poll();
      pendingBytes -= next.frame().length;
      put(next.frame(), next.frame().length);
      if (accepted == null) {
        accepted = new ArrayList<>();
      }
      accepted.add(next.accepted());
    }
    return accepted;
  }

  private static void complete(List<CompletableFuture<Void>> accepted) {
    if (accepted != null) {
      for (CompletableFuture<Void> f : accepted) {
        f.complete(null);
      }
    }
  }

  private List<CompletableFuture<Void>> takePending() {
    if (pendingSends.isEmpty()) {
      return List.of();
    }
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    for (PendingSend p : pendingSends) {
      futures.add(p.accepted());
    }
    pendingSends.clear();
    pendingBytes = 0;
    return futures;
  }

  /** Fails {@code sendAsync} futures refused because the buffer closed, with the close's cause. */
  private void refuse(List<CompletableFuture<Void>> futures) {
    for (CompletableFuture<Void> f : futures) {
      f.completeExceptionally(closedCause.get());
    }
  }
}
