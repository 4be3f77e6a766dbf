package dev.tether.internal.engine;

import dev.tether.internal.wire.Frames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Everything a connection writes, in the order the wire needs it, bounded in bytes.
 *
 * <ul>
 *   <li>The <em>ring</em> ({@link FrameRing}) holds whole frames the application (and the
 *       transport, for error responses and the final GOAWAY) queued. Senders append under a lock,
 *       so frames never interleave; the loop copies bytes out ({@link #drainTo}), writes them and
 *       reports what the socket took ({@link #written}). A frame leaves the ring only once wholly
 *       written, so a frame cut by a broken socket can be written again whole on the next one.
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

  /**
   * The frame was made with an encoding this session no longer uses ({@link Encoding}): make it
   * again with {@link #encoding()} and append that.
   */
  static final int STALE = 3;

  /**
   * Refused for want of the runtime's {@link SendMemory}: the frames this connection holds are past
   * its {@link #ALLOWANCE} and the memory they would draw on is all taken, by other connections or
   * by senders waiting for it.
   */
  static final int NO_MEMORY = 4;

  /** {@link #appendLocked} found room but not memory: the caller waits for it outside the lock. */
  private static final int NEEDS_MEMORY = 5;

  /**
   * The bytes of small frames (those not counted in {@link SendMemory} by {@link
   * SendMemory#charge}) a connection holds, queued, kept for replay and waiting for room, without
   * drawing on the runtime's {@link SendMemory}; beyond it, they take their bytes from it in {@link
   * #CHUNK}s and give them back as they leave. Twice the largest small frame, so that a connection
   * whose peer keeps up, whose queue holds a frame or two at a time, never takes the memory's lock.
   */
  static final int ALLOWANCE = 128 * 1024;

  /**
   * How much of the {@link SendMemory} a connection past its {@link #ALLOWANCE} takes at a time.
   */
  static final int CHUNK = 64 * 1024;

  /**
   * Who appends, and so how the bound applies. Every mode keeps the order of one thread's sends:
   * one that would go past {@code sendAsync} frames still waiting for room (all but {@link #WAIT},
   * {@link #NO_WAIT} and {@link #OWN_WAIT}, which wait behind them or are refused) first carries in
   * those the current thread queued, and every frame ahead of them, within its bound; if they do
   * not all fit, it does not go past them either. Other threads' waiting frames behind them it may
   * overtake: no order across threads is promised.
   */
  enum Mode {
    /** An application thread: waits for room up to the given time without progress. */
    WAIT,
    /** {@code trySend}: never waits; back-pressured when there is no room. */
    NO_WAIT,
    /**
     * An event-loop thread: never waits; accepted up to twice the bound, its own waiting frames
     * first, or back-pressured; refused ({@link #NO_MEMORY}) if past the {@link #ALLOWANCE} it
     * needs memory and none is free.
     */
    LOOP,
    /**
     * A handler that an event loop runs: accepted up to twice the bound without waiting, as on the
     * loop (whose dispatcher pauses while the queue is over its bound); beyond, waits as {@link
     * #WAIT} does, once the loop has gone on without it.
     */
    HANDLER,
    /**
     * Frames the transport owes, or that a handler on the loop owes (its response): accepted
     * whatever the bound, unless closed, with the waiting frames this thread queued before them.
     */
    FORCE,
    /**
     * {@link #WAIT} on the thread of this connection's dispatcher (a handler on the handler pool,
     * say): the frames written and kept for replay do not count against the bound. The peer's
     * acknowledgement of them may lie behind frames the connection reads only once this handler has
     * returned, so waiting for it would wait for ever; the frames not yet written count. Nor does
     * it wait behind {@code sendAsync} frames of other threads, which do wait for acknowledgements;
     * it waits for its own ({@link #appendAsync}).
     */
    OWN_WAIT,
    /**
     * {@link #HANDLER} on the thread of this connection's dispatcher, as {@link #OWN_WAIT}; the
     * {@code sendAsync} frames still waiting that a handler of this connection queued (and those
     * ahead of them) go into the ring first, within twice the bound, so that its sends keep their
     * order without waiting.
     */
    OWN_HANDLER,
    /**
     * {@link #LOOP} in a handler of this connection that always runs on its loop, as {@link
     * #OWN_HANDLER}: refused only if its own waiting frames and it do not fit in twice the bound.
     */
    OWN_LOOP;

    /**
     * Returns true for a handler of this connection: the frames kept for replay do not count
     * against the bound for it, and only its own {@code sendAsync} frames (those a handler of this
     * connection queued, or this thread did) go before it.
     */
    boolean own() {
      return this == OWN_WAIT || this == OWN_HANDLER || this == OWN_LOOP;
    }
  }

  /** What a buffer asks of its connection, and tells it. */
  interface Owner {
    /** Returns the exception that refused {@code sendAsync} frames fail with. */
    RuntimeException closedCause();

    /**
     * The buffer has turned writable, or stopped needing more of the runtime's memory to be: runs
     * with the buffer's lock held, on any thread, so it only hands work on.
     */
    default void writableAgain() {}
  }

  private final int limit;
  private final Owner owner;

  /**
   * The runtime's memory for large frames sent: whatever large frames this buffer holds (ring,
   * replay ring, sends waiting for room) are counted there, and given back as they leave; {@link
   * #changed} keeps the count.
   */
  private final SendMemory memory;

  /**
   * What the buffer has counted in {@link #memory}, senders' reservations included. A plain field,
   * not an object made for the first large frame: a C2-compiled changed() that had only seen that
   * object present crashed a JDK 17.0.15 JVM (SIGSEGV, "implicit null exception ... to 0x0") on a
   * connection that had never sent one.
   */
  private long largeCounted;

  /**
   * What the buffer has taken of {@link #memory} for small frames past its {@link #ALLOWANCE}: a
   * multiple of {@link #CHUNK}, taken as the frames come in ({@link #takeMemory}) and given back by
   * {@link #changed} as they leave.
   */
  private int pooled;

  /**
   * True while one more small frame ({@link #refusedLength} long, if set) would need more of {@link
   * #memory}: {@link #isWritable} then asks whether any is free, and a sender waiting for it
   * ({@link #awaitMemory}) looks again once it turns false. Updated by {@link #changed}; no other
   * field, so that an idle connection costs no more for it.
   */
  private volatile boolean needsMemoryHint;

  /** The frames queued, whole, oldest first. */
  private final FrameRing ring = new FrameRing();

  /** {@link #closed}, for a look without the lock: a sender waiting for {@link #memory}. */
  private volatile boolean closedHint;

  /** {@code size == 0}, for a look without the lock; updated by {@link #changed}. */
  private volatile boolean ringEmpty = true;

  /** {@link #isWritableLocked}, for a look without the lock; updated by {@link #changed}. */
  private volatile boolean writableHint = true;

  /** {@link #queuedUnderBoundLocked}, for a look without the lock; updated by {@link #changed}. */
  private volatile boolean queuedUnderBoundHint = true;

  /**
   * Message frames accepted since the connection began: queued, or written at once. Counted here,
   * under the lock every send takes anyway, rather than in a counter of its own that each send
   * would update with an atomic instruction.
   */
  private long acceptedMessages;

  /**
   * The length of the frame {@code trySend} was last refused for want of room or of {@link
   * #memory}, or a sender waits for memory for, until that much fits in both; 0 if none. Until then
   * the buffer is not {@link #isWritable writable}, so that a producer that sends while writable is
   * not told it may when the very message it was refused still would be, however little under the
   * bound the queue is.
   */
  private int refusedLength;

  private int waiters;
  private boolean socketOpen;
  private boolean closed;
  private boolean discarded;
  private long lastProgressNanos = System.nanoTime();

  /** {@code sendAsync} frames waiting for room, in order. */
  private final WaitingSends waiting = new WaitingSends();

  /** What the socket writes before queued frames. */
  private final ControlLane control = new ControlLane();

  /** Bytes of control and ring copied by the last {@link #drainTo}. */
  private int lastControlCopied;

  /** Message frames wholly written since the session began; the last one's sequence number. */
  private long sentSeq;

  private ReplayRing replay;

  /** How message frames are made now; set under the lock, read without it by senders. */
  private volatile Encoding encoding;

  /**
   * @param limit the bound in bytes
   * @param owner makes the exception that refused {@code sendAsync} frames fail with, and hears
   *     when the buffer turns writable
   * @param memory the runtime's memory for large frames sent
   */
  OutboundBuffer(int limit, Owner owner, SendMemory memory) {
    this.limit = limit;
    this.owner = owner;
    this.memory = memory;
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
    return append(frame, length, -1, mode, waitNanos, null, 0);
  }

  /**
   * Appends one whole message frame made with {@code made}, as {@link #append(byte[], int, Mode,
   * long)} does; {@link #STALE} if the session's encoding is another by then.
   *
   * @param reserved what the sender took of the runtime's {@link SendMemory} for the frame: 0, or
   *     its {@link SendMemory#charge}; the buffer owns it if the frame is accepted, the sender
   *     gives it back otherwise
   */
  int append(byte[] frame, int length, Mode mode, long waitNanos, Encoding made, long reserved)
      throws InterruptedException {
    return append(frame, length, -1, mode, waitNanos, made, reserved);
  }

  /**
   * Appends whole frames, back to back from {@code frames[0]}, that carry {@code messages}
   * messages: all of them or, if the result is not {@link #ACCEPTED}, none. The bound applies to
   * them as to one frame of their total length; {@code reserved} as for one frame.
   */
  int appendFrames(
      byte[] frames,
      int length,
      int messages,
      Mode mode,
      long waitNanos,
      Encoding made,
      long reserved)
      throws InterruptedException {
    return append(frames, length, messages, mode, waitNanos, made, reserved);
  }

  /**
   * {@code messages} is -1 for one frame whose type says whether it is a message; {@code made} is
   * null for frames whose bytes do not depend on the encoding. A mode that would go past waiting
   * {@code sendAsync} frames first moves in those this thread queued ({@link #carryIn}), whose
   * futures complete outside the lock.
   */
  private int append(
      byte[] frame,
      int length,
      int messages,
      Mode mode,
      long waitNanos,
      Encoding made,
      long reserved)
      throws InterruptedException {
    while (true) {
      List<CompletableFuture<Void>> carried = null;
      int result;
      long chunks;
      try {
        synchronized (this) {
          if (!waiting.isEmpty() && !closed) {
            carried = carryIn(mode);
          }
          result = appendLocked(frame, length, messages, mode, waitNanos, made, reserved);
          if (result != NEEDS_MEMORY) {
            return result;
          }
          long small = smallPart(length, messages, reserved);
          chunks = chunks(smallHeld() + small - ALLOWANCE - pooled);
          refusedLength = (int) Math.max(refusedLength, Math.min(small, Integer.MAX_VALUE));
          changed();
        }
      } finally {
        WaitingSends.complete(carried);
      }
      if (!awaitMemory(chunks, waitNanos)) {
        return NO_MEMORY;
      }
    }
  }

  /**
   * Waits, without this buffer's lock, for {@code chunks} bytes of {@link #memory} as {@link
   * SendMemory#take} does (a loop's handler hands the loop on first, a loop counts them at once),
   * and gives what it took to the buffer; stops early if the buffer closes or its frames leave room
   * for this sender's ({@link #needsMemoryHint} turns false), without any memory given back.
   *
   * @return false if the time ran out without either
   */
  private boolean awaitMemory(long chunks, long waitNanos) throws InterruptedException {
    boolean taken = memory.take(chunks, waitNanos, () -> closedHint || !needsMemoryHint);
    if (taken) {
      synchronized (this) {
        pooled += (int) chunks;
        changed(); // gives it back if the frames that needed it are gone meanwhile
      }
    }
    return taken || closedHint || !needsMemoryHint;
  }

  private int appendLocked(
      byte[] frame,
      int length,
      int messages,
      Mode mode,
      long waitNanos,
      Encoding made,
      long reserved)
      throws InterruptedException {
    if (closed) {
      return CLOSED;
    }
    if (made != null && made != encoding) {
      return STALE;
    }
    switch (mode) {
      case FORCE -> {
        takeMemory(smallPart(length, messages, reserved), true);
        put(frame, 0, length, messages, reserved);
        return ACCEPTED;
      }
      case LOOP, OWN_LOOP -> {
        if (ahead(mode) > 0 || !fits(length, held(mode), 2L * limit)) {
          return BACK_PRESSURED;
        }
      }
      case NO_WAIT -> {
        if (!hasRoom(length)) {
          refusedLength = length;
          changed();
          return BACK_PRESSURED;
        }
      }
      case HANDLER, OWN_HANDLER -> {
        if (ahead(mode) > 0 || !fits(length, held(mode), 2L * limit)) {
          int waited = awaitRoom(length, waitNanos, mode);
          if (waited != ACCEPTED) {
            return waited;
          }
        }
      }
      case WAIT, OWN_WAIT -> {
        int waited = awaitRoom(length, waitNanos, mode);
        if (waited != ACCEPTED) {
          return waited;
        }
      }
    }
    if (made != null && made != encoding) {
      return STALE; // changed while this sender waited for room
    }
    if (!takeMemory(smallPart(length, messages, reserved), false)) {
      return switch (mode) {
        case NO_WAIT -> {
          refusedLength = length;
          changed();
          yield NO_MEMORY;
        }
        case LOOP, OWN_LOOP -> NO_MEMORY; // never waits, as past twice the bound
        default -> NEEDS_MEMORY;
      };
    }
    put(frame, 0, length, messages, reserved);
    return ACCEPTED;
  }

  /**
   * Waits until {@code length} bytes fit, up to {@code waitNanos} without progress; the frames kept
   * for replay count, and every {@code sendAsync} frame waiting goes first, unless {@code mode} is
   * a handler of this connection's ({@link Mode#own}).
   */
  private int awaitRoom(int length, long waitNanos, Mode mode) throws InterruptedException {
    if (hasRoom(length, mode)) {
      return ACCEPTED; // the common case, without reading the clock
    }
    long start = System.nanoTime();
    while (!hasRoom(length, mode)) {
      long since = lastProgressNanos - start > 0 ? lastProgressNanos : start;
      long left = Deadlines.after(since, waitNanos) - System.nanoTime();
      if (left <= 0) {
        return BACK_PRESSURED;
      }
      EventLoop.beforeWaiting();
      waiters++;
      try {
        TimeUnit.NANOSECONDS.timedWait(this, left);
      } finally {
        waiters--;
      }
      if (closed) {
        return CLOSED;
      }
    }
    return ACCEPTED;
  }

  /**
   * Appends a frame if there is room, or else keeps it, in order, until there is; the future
   * completes once the frame is in the ring and fails with the close's cause if the buffer closes
   * first. Frames kept waiting are bounded by the same limit as the ring, counted with what each
   * holds besides its bytes ({@link WaitingSends#ENTRY_OVERHEAD}).
   *
   * <p>For a handler of this connection ({@code own}), room is what {@link Mode#OWN_WAIT} finds:
   * the frames kept for replay do not count, and only its own frames waiting go before it. Once
   * such a frame waits, it and every frame ahead of it go in as the frames not yet written leave
   * room, without waiting for acknowledgements: the handler's next send waits for them, and the
   * acknowledgements may lie behind what the connection reads only once that handler returns.
   *
   * @return {@link #ACCEPTED} (possibly still waiting), {@link #BACK_PRESSURED} if even the waiting
   *     room is full, {@link #CLOSED}, or {@link #STALE}
   */
  int appendAsync(
      byte[] frame,
      int length,
      CompletableFuture<Void> accepted,
      Encoding made,
      long reserved,
      boolean own) {
    synchronized (this) {
      if (closed) {
        return CLOSED;
      }
      if (made != encoding) {
        return STALE;
      }
      if (!hasRoom(length, own ? Mode.OWN_WAIT : Mode.WAIT)) {
        if (waiting.footprint() + length + WaitingSends.ENTRY_OVERHEAD > limit
            && !waiting.isEmpty()) {
          return BACK_PRESSURED;
        }
        if (!takeMemory(length - reserved + WaitingSends.ENTRY_OVERHEAD, false)) {
          return NO_MEMORY; // what waits for room is held as what is queued is
        }
        waiting.add(frame, length, accepted, own);
        largeCounted += reserved;
        changed();
        return ACCEPTED;
      }
      if (!takeMemory(length - reserved, false)) {
        return NO_MEMORY;
      }
      put(frame, 0, length, -1, reserved);
    }
    accepted.complete(null); // outside the lock: dependents may run here
    return ACCEPTED;
  }

  /**
   * Appends the last frame (GOAWAY) and closes the buffer to every later append; frames still
   * waiting in {@link #appendAsync} are refused. Returns false if it was already closed.
   */
  boolean appendFinal(byte[] frame) {
    List<CompletableFuture<Void>> refused;
    synchronized (this) {
      if (closed) {
        return false;
      }
      put(frame, 0, frame.length, -1, 0);
      closed = true;
      closedHint = true;
      notifyAll();
      refused = waiting.takeAll();
      changed();
    }
    memory.wakeAll();
    WaitingSends.fail(refused, owner::closedCause);
    return true;
  }

  /**
   * Starts a socket: {@code prelude} (its preamble and handshake frame) is written before anything
   * else, and whatever control bytes were pending for the previous socket are dropped.
   */
  synchronized void startSocket(byte[] prelude) {
    socketOpen = false;
    control.startSocket(prelude);
    ring.restartFrame();
  }

  /**
   * Opens the socket to frames, once its handshake is done and any replay is queued: until then
   * only its prelude is written (a frame written before the WELCOME would be read by a handshake
   * that does not expect it, and numbered before the replay that must precede it), and senders do
   * not write straight to it.
   */
  synchronized void socketOpen(boolean open) {
    socketOpen = open;
  }

  /**
   * Returns true if the socket's prelude (preamble and handshake frame) has been written whole: a
   * frame written straight to the socket now follows it.
   */
  synchronized boolean preludeWritten() {
    return control.preludeWritten();
  }

  /** Adds bytes (a frame) to write after the prelude, e.g. a server's refusal. */
  synchronized void appendControl(byte[] frame) {
    control.append(frame);
  }

  /**
   * Answers a PING: its PONG goes out ahead of queued frames, after the PONGs owed before it.
   *
   * @return how many PONGs are owed and not yet written, this one included
   */
  synchronized int offerPong(long payload) {
    return control.offerPong(payload);
  }

  /** Queues a heartbeat PING unless one is queued already. */
  synchronized void offerPing(long payload) {
    control.offerPing(payload);
  }

  /**
   * Records that this side has received {@code received} message frames; an ACK saying so rides
   * with the next write, or goes on its own if {@code urgent}.
   */
  synchronized void offerAck(long received, boolean urgent) {
    control.offerAck(received, urgent);
  }

  /** Returns true if an ACK must be written even though nothing else is. */
  synchronized boolean ackUrgent() {
    return control.ackUrgent();
  }

  // ------------------------------------------------------------------ writing (loop)

  /**
   * Copies what is to be written next into {@code dst}: control bytes first (the rest of a prelude
   * or of a control frame, then, at a frame boundary, PONG, PING and ACK), then frames from the
   * ring. Returns the number of bytes copied; report what the socket took with {@link #written}.
   * Loop thread.
   *
   * <p>The frames are copied after the lock is released: senders only add bytes behind them (a ring
   * that grows is a new array, the old one keeps them), and only the loop, which is here, moves or
   * drops them ({@link #written}, {@link #rewind}, {@link #dropSession}, {@link #discard}, {@link
   * #trim}). Copying a write's worth under the lock made senders contend with the loop: a monitor
   * that spun and parked thousands of times a second in one-way streaming.
   */
  int drainTo(ByteBuffer dst) {
    byte[] from;
    int start;
    int n;
    int m;
    synchronized (this) {
      boolean frames = framesMayGo();
      if (ring.atFrameBoundary() && socketOpen) {
        control.fillSlots(ring.size() > 0);
      }
      n = control.copyTo(dst);
      lastControlCopied = n;
      if (n < control.pending() || !frames) {
        return n;
      }
      m = Math.min(ring.unwritten(), dst.remaining());
      if (!ring.atFrameBoundary() && socketOpen && control.slotsDue()) {
        // Control frames go only between two frames. A write that fills the socket ends where it
        // may, mostly inside a frame, so under a steady backlog they would wait for a write that
        // happens to end at a boundary: the peer's replay ring grew for want of our ACKs until it
        // cut the socket. This write ends with the frame, and the next begins with them.
        m = Math.min(m, ring.headFrameRest());
      }
      if (m == 0) {
        return n;
      }
      from = ring.array();
      start = ring.unwrittenStart();
    }
    int first = Math.min(m, from.length - start);
    dst.put(from, start, first);
    if (first < m) {
      dst.put(from, 0, m - first);
    }
    return n + m;
  }

  /**
   * Records that the socket took {@code n} of the bytes the last {@link #drainTo} copied, moves
   * {@code sendAsync} frames in while there is room, and wakes waiting senders.
   *
   * @return true if the buffer went from over its bound to under it, counting the frames kept for
   *     replay ({@link #isWritable}) or not ({@link #queuedUnderBound})
   */
  boolean written(int n) {
    List<CompletableFuture<Void>> accepted = null;
    boolean writable;
    synchronized (this) {
      if (discarded || n <= 0) {
        return false;
      }
      boolean wasFull = !isWritableLocked();
      boolean wasOver = !queuedUnderBoundLocked();
      int fromControl = Math.min(n, lastControlCopied);
      control.consumed(fromControl);
      advance(n - fromControl);
      lastProgressNanos = System.nanoTime();
      accepted = admitPending();
      changed();
      if (waiters > 0) {
        notifyAll();
      }
      writable = wasFull && isWritableLocked() || wasOver && queuedUnderBoundLocked();
    }
    WaitingSends.complete(accepted);
    return writable;
  }

  /**
   * Writes a frame straight to {@code channel} if nothing else is waiting to be written and it fits
   * under the bound, so that an isolated send needs no event-loop wake-up. Whatever the socket does
   * not take is queued ahead of any later frame. The lock is held across the non-blocking write, so
   * nothing slips in.
   *
   * @param frame one whole frame between position and limit, in an array-backed buffer; consumed by
   *     the call
   * @return the bytes written, or -1 if nothing was done (something queued, closed, no room, or the
   *     frame made with an earlier encoding)
   */
  synchronized int writeDirect(ByteBuffer frame, WritableByteChannel channel, Encoding made)
      throws IOException {
    int length = frame.remaining();
    if (!socketOpen
        || ring.size() != 0
        || closed
        || !control.isIdle()
        // a resumable session's replay ring counts against the bound: when it is full, the sender
        // waits for an acknowledgement as it would for room in the queue
        || !hasRoom(length)
        || !memoryFits(length)
        || made != encoding
        || SendMemory.charge(length) != 0) { // counted in the ring, as it leaves
      return -1;
    }
    int start = frame.position();
    int type = frame.get(start + Frames.HEADER_BYTES - 1);
    int written = channel.write(frame);
    if (written > 0) {
      lastProgressNanos = System.nanoTime();
    }
    if (written == length) {
      // the common case: nothing to keep, unless the session replays
      if (FrameRing.isMessage(type)) {
        sentSeq++;
        acceptedMessages++;
        if (replay != null) {
          replay.add(frame.array(), frame.arrayOffset() + start, length);
          changed();
        }
      }
      return written;
    }
    put(frame.array(), frame.arrayOffset() + start, length, -1, 0);
    frame.position(start + length);
    advance(Math.max(0, written));
    return Math.max(0, written);
  }

  /**
   * Returns true if something waits that {@link #drainTo} would copy now: frames of an open socket
   * (or the final ones of a closed buffer), or a PONG, PING or urgent ACK due on an open socket.
   */
  synchronized boolean hasWritableBytes() {
    boolean frames = framesMayGo() && ring.unwritten() > 0;
    return frames || socketOpen && (!control.isIdle() || control.ackUrgent());
  }

  /**
   * Returns true if the ring held no frame a moment ago: read without the lock, so only a hint for
   * a sender deciding whether a direct write is worth trying ({@link #writeDirect} looks again).
   */
  boolean ringLooksEmpty() {
    return ringEmpty;
  }

  // ------------------------------------------------------------------ resumption (loop)

  /** Keeps written message frames until acknowledged, numbering them from the session's start. */
  synchronized void enableReplay() {
    if (replay == null) {
      replay = new ReplayRing();
      replay.reset(sentSeq + 1);
    }
  }

  synchronized boolean replayEnabled() {
    return replay != null;
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
    synchronized (this) {
      if (replay == null) {
        return false;
      }
      if (Long.compareUnsigned(seq, sentSeq) > 0) { // a u64: past 2^63 is more, not negative
        throw new IllegalArgumentException(
            "the peer acknowledges "
                + Long.toUnsignedString(seq)
                + " messages, but only "
                + sentSeq
                + " were sent");
      }
      boolean wasFull = !isWritableLocked();
      if (replay.acknowledge(seq) > 0) {
        lastProgressNanos = System.nanoTime();
      }
      accepted = admitPending();
      changed();
      if (waiters > 0) {
        notifyAll();
      }
      writable = wasFull && isWritableLocked();
    }
    WaitingSends.complete(accepted);
    return writable;
  }

  /**
   * Prepares a new socket of a resumed session: the peer has received {@code peerReceived} message
   * frames, so the ones after it are written again, whole, before the frames still queued.
   *
   * @return false if the peer's position cannot be served (it claims more than was sent, or less
   *     than was already acknowledged)
   */
  synchronized boolean rewind(long peerReceived) {
    if (replay == null
        || Long.compareUnsigned(peerReceived, sentSeq) > 0 // a u64, as on the wire
        || peerReceived < replay.firstSeq() - 1) {
      return false;
    }
    replay.acknowledge(peerReceived);
    int replayedFrames = replay.frames();
    long replayedCharge = replay.charged();
    ring.prepend(replay.takeAll(), replayedFrames, replayedCharge);
    sentSeq = peerReceived;
    replay.reset(peerReceived + 1);
    changed();
    return true;
  }

  /** Returns how many message frames have been wholly written in this session. */
  synchronized long sentSeq() {
    return sentSeq;
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
    synchronized (this) {
      dropped = ring.messages() + waiting.size();
      ring.clear();
      changed();
      sentSeq = 0;
      control.resetAcks();
      replay = null;
      refused = waiting.takeAll();
      changed();
      notifyAll();
    }
    WaitingSends.fail(refused, owner::closedCause);
    return dropped;
  }

  /** Returns how message frames are made now: null until the first handshake completes. */
  Encoding encoding() {
    return encoding;
  }

  /**
   * From now on message frames are made with {@code next}; appends of frames made with an earlier
   * encoding are refused ({@link #STALE}), waiting senders included, and their senders make them
   * again. What was queued before stays (see {@link #largestQueuedFrame}).
   */
  synchronized void encoding(Encoding next) {
    encoding = next;
  }

  /**
   * Returns the length (as a frame header counts it) of the longest frame queued and not yet
   * written, or waiting for room; 0 if none.
   */
  synchronized int largestQueuedFrame() {
    return Math.max(ring.largestFrame(), waiting.longestFrame() - 4);
  }

  /** Returns how many message frames were written and not acknowledged. */
  synchronized int unacknowledged() {
    return replay == null ? 0 : replay.frames();
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
    synchronized (this) {
      unsent = ring.messages() + waiting.size();
      closed = true;
      closedHint = true;
      discarded = true;
      ring.clear();
      changed();
      control.clear();
      if (replay != null) {
        replay.reset(sentSeq + 1);
      }
      notifyAll();
      refused = waiting.takeAll();
      changed();
    }
    memory.wakeAll();
    WaitingSends.fail(refused, owner::closedCause);
    return unsent;
  }

  /**
   * Opens the buffer again after a graceful close in which everything, the final GOAWAY included,
   * was written: a reconnecting client starts a new session on its next socket, whose message
   * frames are numbered from the start, with nothing to replay.
   */
  synchronized void startNewSession() {
    if (ring.size() != 0 || discarded) {
      throw new IllegalStateException("a new session needs a buffer that wrote everything");
    }
    closed = false;
    closedHint = false;
    socketOpen = false;
    ring.restartFrame();
    sentSeq = 0;
    control.resetAcks();
    replay = null;
    changed();
  }

  synchronized boolean isClosed() {
    return closed;
  }

  /** Returns {@link #isClosed} as of a moment ago, without the lock. */
  boolean looksClosed() {
    return closedHint;
  }

  /** Returns true once the final frame and everything before it have been written. */
  synchronized boolean isDrained() {
    return closed && ring.size() == 0 && control.pending() == 0;
  }

  /**
   * Returns true while the buffer is under its bound, no {@code sendAsync} frame waits, and the
   * frame {@code trySend} was last refused (if any) now fits. Looks without the lock first (the
   * dispatcher asks before every message it delivers on the loop); a false is confirmed under it.
   */
  boolean isWritable() {
    return (writableHint || isWritableSynchronized()) && (!needsMemoryHint || !memory.looksFull());
  }

  /**
   * Returns true if, a moment ago, the buffer had room and was writable unless the runtime's memory
   * was full: {@link SendMemory#whenFree} then tells when to look again (at once if it is not full
   * by now). False if the buffer itself is not writable: {@link Owner#writableAgain} tells when it
   * is.
   */
  boolean waitsForMemory() {
    return needsMemoryHint && (writableHint || isWritableSynchronized());
  }

  SendMemory memory() {
    return memory;
  }

  private synchronized boolean isWritableSynchronized() {
    return isWritableLocked();
  }

  /**
   * Returns true while the frames not yet written are under the bound: what the loop looks at
   * before it reads more or runs a handler. The frames written and kept for replay are left out:
   * the peer's acknowledgement of them may lie behind the very frames the loop would stop reading,
   * and both sides would wait for ever (a client pipelining requests to a server whose answers it
   * had read, its ACKs behind its next requests). They hold back the application's sends instead
   * ({@link #isWritable}), and more than twice the bound (and a largest frame) of them closes the
   * socket ({@link #replayOverCap}). Looks without the lock first, as {@link #isWritable} does.
   */
  boolean queuedUnderBound() {
    return queuedUnderBoundHint || queuedUnderBoundSynchronized();
  }

  private synchronized boolean queuedUnderBoundSynchronized() {
    return queuedUnderBoundLocked();
  }

  /**
   * Returns true if the frames written and kept for replay take more than twice the bound and one
   * frame of the largest size the peer accepts: the peer reads but does not acknowledge what it
   * reads, or far too late. Since the loop goes on reading for the acknowledgements ({@link
   * #queuedUnderBound}), only closing the socket bounds them then; the session resumes from what
   * the peer says it received. The largest frame is part of it because one such message is accepted
   * alone whatever the bound: a connection that sends them is not cut for each.
   */
  synchronized boolean replayOverCap() {
    return replay != null && replay.size() > replayCap();
  }

  /** What {@link #replayOverCap} compares with. */
  synchronized long replayCap() {
    Encoding now = encoding;
    return 2L * limit + (now == null ? 0 : now.peerMaxFrameBytes());
  }

  synchronized int replayBytes() {
    return replay == null ? 0 : replay.size();
  }

  /** Returns the bytes held: queued, and kept for replay. */
  synchronized int size() {
    return held();
  }

  /** Returns the bytes still to be written to the socket. */
  synchronized int unwritten() {
    return ring.unwritten() + control.pending();
  }

  /**
   * Returns the message frames (DATA, REQUEST, RESPONSE) accepted since the connection began,
   * written or queued; a {@code sendAsync} frame counts once it is in the queue.
   */
  synchronized long acceptedMessages() {
    return acceptedMessages;
  }

  /** Returns the accepted messages not yet wholly written, those waiting for room included. */
  synchronized int queuedMessages() {
    return ring.messages() + waiting.size();
  }

  /** Returns when the socket last took bytes, or the peer last acknowledged some, in nanoTime. */
  synchronized long lastProgressNanos() {
    return lastProgressNanos;
  }

  /** Gives the ring's memory back if it is empty. */
  synchronized void trim() {
    ring.releaseIfEmpty();
  }

  /**
   * Gives back what a session waiting for its client need not hold: the ring if it is empty, and
   * the replay ring's room beyond the frames it keeps.
   */
  synchronized void trimWhileDetached() {
    trim();
    if (replay != null) {
      replay.trimToSize();
    }
  }

  /** Returns the bytes of memory held: both rings' capacity, and the sends waiting for room. */
  synchronized long retainedBytes() {
    return ring.capacity() + (replay == null ? 0 : replay.capacity()) + waiting.footprint();
  }

  // ------------------------------------------------------------------ internals (lock held)

  /** Frames go to an open socket, and after a close (a refusal's GOAWAY follows the preamble). */
  private boolean framesMayGo() {
    return socketOpen || closed;
  }

  private int held() {
    return ring.size() + (replay == null ? 0 : replay.size());
  }

  /**
   * The bytes of small frames among {@code length} bytes of frames about to be appended: those not
   * counted in {@link #memory} as large ({@code reserved} for a run of them, {@code messages} not
   * -1).
   */
  private static long smallPart(int length, int messages, long reserved) {
    if (messages >= 0) {
      return length - reserved;
    }
    return SendMemory.charge(length) == 0 ? length : 0;
  }

  /**
   * The bytes of small frames held: queued, kept for replay, and waiting for room (with what each
   * waiting send holds besides), those of large frames left out, as {@link #memory} counts them.
   */
  private long smallHeld() {
    return smallHeld(ring.charged() + waiting.charged() + (replay == null ? 0 : replay.charged()));
  }

  private long smallHeld(long charged) {
    return held() + (waiting.isEmpty() ? 0 : waiting.footprint()) - charged;
  }

  /** Returns true if {@code bytes} more of small frames fit in what the buffer holds already. */
  private boolean memoryFits(long bytes) {
    return smallHeld() + bytes <= ALLOWANCE + pooled;
  }

  /**
   * Makes room for {@code bytes} more of small frames: at once if they fit under the allowance and
   * what the buffer took of {@link #memory}, else by taking more of it, in {@link #CHUNK}s, if any
   * is free and no sender waits for it ({@code force}: whatever is free).
   *
   * @return false if the memory is all taken
   */
  private boolean takeMemory(long bytes, boolean force) {
    if (bytes <= 0 || pooled == 0 && waiting.isEmpty() && held() + bytes <= ALLOWANCE) {
      return true; // the common case: a comparison, no lock
    }
    long over = smallHeld() + bytes - ALLOWANCE - pooled;
    if (over <= 0) {
      return true;
    }
    long chunks = chunks(over);
    if (force) {
      memory.force(chunks);
    } else if (!memory.tryTake(chunks)) {
      return false;
    }
    pooled += (int) chunks;
    return true;
  }

  /** Returns {@code bytes} rounded up to whole {@link #CHUNK}s; 0 if not positive. */
  private static long chunks(long bytes) {
    return bytes <= 0 ? 0 : (bytes + CHUNK - 1) / CHUNK * CHUNK;
  }

  private boolean isWritableLocked() {
    return held() < limit && waiting.isEmpty() && (refusedLength == 0 || fits(refusedLength));
  }

  private boolean queuedUnderBoundLocked() {
    return ring.size() < limit;
  }

  /** Returns true if a frame of {@code length} may be appended now, behind no waiting send. */
  private boolean hasRoom(int length) {
    return waiting.isEmpty() && fits(length);
  }

  private boolean hasRoom(int length, Mode mode) {
    boolean behind = mode.own() ? ahead(mode) > 0 : !waiting.isEmpty();
    return !behind && fits(length, held(mode));
  }

  /**
   * Returns how many waiting {@code sendAsync} frames, from the oldest, a frame appended in {@code
   * mode} must not go past: every one for {@link Mode#WAIT} and {@link Mode#NO_WAIT}; for the
   * others, up to the last one this thread queued, and for a handler of this connection, the last
   * one a handler of it queued. Looks at each waiting frame, if any wait.
   */
  private int ahead(Mode mode) {
    if (waiting.isEmpty()) {
      return 0; // the common case
    }
    return switch (mode) {
      case WAIT, NO_WAIT -> waiting.size();
      case OWN_WAIT, OWN_HANDLER, OWN_LOOP -> Math.max(waiting.ownAhead(), waiting.queuedHere());
      case HANDLER, LOOP, FORCE -> waiting.queuedHere();
    };
  }

  /**
   * Before an append in {@code mode}, while {@code sendAsync} frames wait: one that would go past
   * them moves in those it must not go past ({@link #ahead}), oldest first, within twice the bound
   * ({@link Mode#FORCE}: whatever the bound); the caller then goes behind those that did not fit.
   *
   * <p>For a handler of this connection, the frames this thread queued (as another connection's
   * handler, say, on the same pool thread) count as its own from now on: they go in as the
   * handler's do, without an acknowledgement, which may lie behind what the connection reads only
   * once the handler has returned. {@link Mode#OWN_WAIT} moves in those that fit under the bound
   * now, as {@link #written} would have had they been its own from the start.
   *
   * @return the futures of the frames moved, or null
   */
  private List<CompletableFuture<Void>> carryIn(Mode mode) {
    if (mode.own()) {
      waiting.ownAtLeast(waiting.queuedHere());
    }
    return switch (mode) {
      case WAIT, NO_WAIT -> null; // they wait behind every waiting frame, or are refused
      case OWN_WAIT -> admit(limit, ahead(mode));
      case FORCE -> admit(Long.MAX_VALUE, ahead(mode));
      case HANDLER, LOOP, OWN_HANDLER, OWN_LOOP -> admit(2L * limit, ahead(mode));
    };
  }

  private boolean fits(int length) {
    return fits(length, held());
  }

  private boolean fits(int length, int held) {
    return fits(length, held, limit);
  }

  private static boolean fits(int length, int held, long bound) {
    return held == 0 || (long) held + length <= bound;
  }

  /** The bytes held that count for {@code mode}: without the replay ring's for a handler's own. */
  private int held(Mode mode) {
    return mode.own() ? ring.size() : held();
  }

  /**
   * Appends the whole frames at {@code frame[offset]} to the ring ({@link FrameRing#add}); {@code
   * reserved} is what the sender took of {@link #memory} for them, now this buffer's to give back.
   */
  private void put(byte[] frame, int offset, int length, int messages, long reserved) {
    if (!discarded && length != 0) {
      // first: if the ring cannot grow, nothing has changed, and the sender keeps all
      acceptedMessages += ring.add(frame, offset, length, messages, reserved);
    }
    largeCounted += reserved; // given back by changed() unless the ring counts it
    changed();
  }

  /** The socket took {@code n} ring bytes: frames wholly written leave the ring. */
  private void advance(int n) {
    sentSeq += ring.written(n, replay);
    changed();
  }

  /**
   * Brings {@link #ringEmpty} and {@link #writableHint} up to date; called under the lock after
   * every change of what is queued, kept for replay or waiting. Writes them only when they change.
   */
  private void changed() {
    long charged = ring.charged() + waiting.charged() + (replay == null ? 0 : replay.charged());
    if (charged != largeCounted) {
      memory.adjust(charged - largeCounted);
      largeCounted = charged;
    }
    long small = smallHeld(charged);
    if (pooled != 0 || refusedLength != 0 || small >= ALLOWANCE) { // else: nothing to look at
      memoryChanged(small);
    } else if (needsMemoryHint) {
      needsMemoryHint = false;
      memory.wakeAll(); // a sender of this buffer waiting for memory may fit without it now
      owner.writableAgain();
    }
    boolean empty = ring.size() == 0;
    if (empty != ringEmpty) {
      ringEmpty = empty;
    }
    boolean writable = isWritableLocked();
    if (writable != writableHint) {
      writableHint = writable;
      if (writable) {
        owner.writableAgain();
      }
    }
    boolean underBound = queuedUnderBoundLocked();
    if (underBound != queuedUnderBoundHint) {
      queuedUnderBoundHint = underBound;
    }
  }

  /**
   * {@link #changed} for a buffer that holds {@code small} bytes of small frames, past its {@link
   * #ALLOWANCE} or with memory taken or a frame refused: gives back what it need not hold, and
   * brings {@link #needsMemoryHint} up to date.
   */
  private void memoryChanged(long small) {
    if (pooled != 0) {
      long keep = chunks(small - ALLOWANCE);
      if (keep == 0 || pooled > keep + CHUNK) { // a chunk to spare, not a lock per frame
        memory.release(pooled - keep);
        pooled = (int) keep;
      }
    }
    if (refusedLength != 0 && fits(refusedLength) && small + refusedLength <= ALLOWANCE + pooled) {
      refusedLength = 0;
    }
    boolean needsMemory = small + Math.max(1, refusedLength) > ALLOWANCE + pooled;
    if (needsMemory != needsMemoryHint) {
      needsMemoryHint = needsMemory;
      if (!needsMemory) {
        memory.wakeAll(); // a sender of this buffer waiting for memory may fit without it now
        owner.writableAgain();
      }
    }
  }

  /** Moves {@code sendAsync} frames into the ring while they fit; returns their futures. */
  private List<CompletableFuture<Void>> admitPending() {
    return admit(limit, Integer.MAX_VALUE);
  }

  /**
   * Moves {@code sendAsync} frames into the ring, oldest first, while they fit under {@code bound}:
   * up to the last one a handler of this connection queued ({@link WaitingSends#ownAhead}) they
   * count only the frames not yet written, as that handler's sends do; after it, the frames kept
   * for replay too. At most {@code count} of them. Returns their futures, to complete outside the
   * lock, or null if none moved.
   */
  private List<CompletableFuture<Void>> admit(long bound, int count) {
    List<CompletableFuture<Void>> accepted = null;
    for (int left = count; left > 0 && !waiting.isEmpty(); left--) {
      boolean own = waiting.ownAhead() > 0;
      if (!fits(waiting.nextLength(), own ? ring.size() : held(), bound)) {
        break;
      }
      if (accepted == null) {
        accepted = new ArrayList<>();
      }
      byte[] frame = waiting.takeNext(accepted); // its charge moves into the ring's
      put(frame, 0, frame.length, -1, 0);
    }
    return accepted;
  }
}
