package dev.tether.internal.engine;

import dev.tether.GoAwayCode;
import dev.tether.TlsConfig;
import dev.tether.internal.wire.FrameDecoder;
import dev.tether.internal.wire.ProtocolException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The bytes of one connection: reading into the loop's buffer and through the {@link FrameDecoder},
 * writing the {@link OutboundBuffer} with the loop's buffer, direct writes from senders, PING and
 * PONG, interest ops, read pauses and the half-close. It knows nothing of what frames mean; the
 * {@link FrameRouter} does.
 *
 * <p>With TLS, the bytes pass through a {@link TlsStream}: reads and writes are of plaintext, the
 * TLS handshake is driven from {@link #read} and {@link #flush} before any frame moves, the
 * half-close is close_notify followed by the TCP half-close, and records the TLS layer holds back
 * (which the selector cannot see) are read by a task on the loop.
 *
 * <p>Loop thread only, except {@link #scheduleFlush} and {@link #tryWriteDirect}.
 */
final class SocketIo {
  /** Socket reads per wake-up before the loop serves its other channels. */
  private static final int READS_PER_WAKEUP = 16;

  /** Bytes a closing connection still reads and throws away before it gives up on the peer. */
  private static final long DISCARD_READ_LIMIT = 64L * 1024 * 1024;

  /**
   * Bytes a connection reads after writing its GOAWAY in a graceful close, besides one frame of its
   * largest size for the peer's GOAWAY and one for each request of its own still awaiting an
   * answer, before it gives up waiting for the peer's GOAWAY (PROTOCOL.md §8, step 2: "reading at
   * most a bounded number of bytes"): a peer that sends on instead of answering would otherwise be
   * read, and delivered, until the drain deadline.
   */
  private static final long AFTER_GOAWAY_READ_LIMIT = 64L * 1024 * 1024;

  /**
   * Sends closer than this to the previous one form a burst: they are queued for the loop to write
   * in batches, since a system call per message would cost more than the loop's wake-up.
   */
  private static final long BURST_NANOS = 20_000;

  /**
   * PONGs owed and not yet written before the peer counts as flooding. Every PING gets its PONG
   * (PROTOCOL.md §8), and a peer that follows it sends at most one PING per heartbeat and lets this
   * side answer in between; a burst of a few hundred is what a long pause here leaves queued from a
   * peer pinging every millisecond. A peer that writes PINGs as fast as it can, and reads nothing,
   * makes tens of thousands arrive per turn of the loop while its socket takes none of their PONGs;
   * this bound (the count HTTP/2 servers such as Netty's allow for queued control frames) keeps
   * what it costs to about 260 KB (the payloads owed, and their frames once the socket takes them)
   * and a turn of the loop.
   */
  static final int MAX_OWED_PONGS = 10_000;

  private final RealConnection<?, ?> connection;
  private final EventLoop loop;
  final SocketChannel channel;
  final FrameDecoder decoder;
  private SelectionKey key;

  /** TLS over the socket, or null; {@link #in} and {@link #out} are it or the socket itself. */
  private final TlsStream tls;

  private final ReadableByteChannel in;
  private final WritableByteChannel out;
  private final Runnable readTask;
  private boolean readScheduled;

  /** While true, reading stays paused whatever room there is: the handshake is being judged. */
  private boolean held;

  private final AtomicBoolean flushScheduled = new AtomicBoolean();

  /**
   * The loop is writing, or will write once the selector reports room (the socket took less than
   * was queued): a send needs no flush of its own, its frame goes with that write. Without this, a
   * sender streaming into a full socket woke the loop for every batch it queued, to copy 256 KiB
   * and be told EAGAIN (5,400 times a second, a third of the client loop's time, in one-way json).
   * Lowered only when a flush has written everything, which then looks for frames queued too late
   * for it (see {@link #flush}).
   */
  private volatile boolean loopFlushes;

  private final Runnable flushTask;
  private final Runnable awaitRoomTask;
  private volatile long lastSendNanos;

  private boolean paused;
  private boolean discardInput;
  private long discardedBytes;

  /** Bytes read, and decoded, since this side's GOAWAY of a graceful close was queued. */
  private long readAfterGoAway;

  /** The bound on {@link #readAfterGoAway}, set at the first read after the GOAWAY; 0 before. */
  private long readAfterGoAwayLimit;

  private boolean outputShut;
  private boolean inputDone;
  private boolean readingToEnd;
  private boolean connected;
  private boolean released;
  private volatile boolean closed;

  final LongAdder bytesSent = new LongAdder();

  /**
   * Adds what {@code previous}, the socket this one replaces in a resumed session, sent and
   * received to this one's counts, before it takes its place: a connection's counters (and a
   * server's, published as monotonic counters) then never go down. Loop thread; {@code previous} is
   * closed and counts no more.
   */
  void carryCounts(SocketIo previous) {
    if (previous != null && previous != this) {
      bytesSent.add(previous.bytesSent.sum());
      bytesReceived += previous.bytesReceived;
    }
  }

  /** The loop's writes that the socket took bytes of, and those it took none of; loop thread. */
  final LongAdder writes = new LongAdder();

  final LongAdder refusedWrites = new LongAdder();
  volatile long bytesReceived;

  /**
   * A new socket, with TLS if the connection's security asks for it.
   *
   * @param expectPreamble false for a socket whose preamble and HELLO another connection read
   *     already (a server resuming a session on it)
   */
  SocketIo(RealConnection<?, ?> connection, SocketChannel channel, boolean expectPreamble) {
    this(connection, channel, expectPreamble, null, null);
  }

  /**
   * The socket that {@code previous} (another connection, which read a HELLO on it and {@linkplain
   * #release() released} it) leaves to this connection, with its key and its TLS session, for
   * reading frames after the handshake. Call {@link #takeOver()} on the loop to make it live.
   */
  SocketIo(RealConnection<?, ?> connection, SocketIo previous) {
    this(connection, previous.channel, false, previous.key, previous.tls);
    // frames the peer wrote right behind its HELLO, read with it: they wait, paused, until the
    // session has written its WELCOME and resumes reading (before, they were dropped unseen)
    decoder.takeOver(previous.decoder);
    paused = decoder.isPaused();
  }

  private SocketIo(
      RealConnection<?, ?> connection,
      SocketChannel channel,
      boolean expectPreamble,
      SelectionKey previousKey,
      TlsStream previousTls) {
    this.connection = connection;
    this.loop = connection.loop;
    this.channel = channel;
    this.key = previousKey;
    this.decoder =
        expectPreamble
            ? new FrameDecoder(FrameDecoder.HANDSHAKE_MAX_FRAME_LENGTH, true)
            : new FrameDecoder(connection.config.maxFrameBytes(), false);
    TlsConfig tlsConfig = connection.security.tls();
    if (previousTls != null) {
      this.tls = previousTls;
      previousTls.moveTo(loop, this::afterTlsTask);
    } else {
      this.tls = tlsConfig == null ? null : newTlsStream(tlsConfig);
    }
    this.in = tls != null ? tls : channel;
    this.out = tls != null ? tls : channel;
    this.readTask =
        () -> {
          readScheduled = false;
          if (connection.io() == this) {
            connection.doIo(SelectionKey.OP_READ);
          }
        };
    this.flushTask =
        () -> {
          flushScheduled.set(false);
          flush();
        };
    this.awaitRoomTask =
        () -> {
          if (writesFrames()) {
            interest(SelectionKey.OP_WRITE, true); // at worst a flush that finds nothing queued
          }
        };
    this.lastSendNanos = System.nanoTime() - BURST_NANOS;
  }

  /**
   * A client checks the server's certificate against the host it connects to (or the configured
   * name), and sends that name as SNI; a server has no such name.
   */
  private TlsStream newTlsStream(TlsConfig config) {
    String host = null;
    int port = -1;
    if (connection.client) {
      host = config.serverHostName().orElse(null);
      if (connection.remoteAddress instanceof InetSocketAddress inet) {
        port = inet.getPort();
        if (host == null) {
          host = inet.getHostString();
        }
      }
    }
    return new TlsStream(
        channel,
        connection.client,
        config,
        host,
        port,
        connection.peerName,
        loop,
        connection.tlsTaskExecutor,
        this::afterTlsTask);
  }

  /** Registers with the loop's selector, for the connect or for reading. */
  void register(boolean connecting) throws IOException {
    int ops = connecting ? SelectionKey.OP_CONNECT : SelectionKey.OP_READ;
    key = channel.register(loop.selector(), ops, connection);
    connected = !connecting;
  }

  /**
   * Takes over the connected socket that another connection registered, for reading: the key is
   * kept if it belongs to this loop's selector (a channel cannot be registered twice with one), and
   * moved to this loop otherwise.
   */
  void takeOver() throws IOException {
    SelectionKey previous = key;
    if (previous.selector() == loop.selector() && previous.isValid()) {
      previous.attach(connection);
      previous.interestOps(SelectionKey.OP_READ);
    } else {
      previous.cancel();
      key = channel.register(loop.selector(), SelectionKey.OP_READ, connection);
    }
    connected = true;
    readBufferedSoon(); // the TLS layer may hold bytes that arrived behind the HELLO
  }

  /** Completes a pending connect; returns true once connected. */
  boolean finishConnect() throws IOException {
    if (channel.finishConnect()) {
      Channels.refuseSelfConnect(channel);
      key.interestOps(SelectionKey.OP_READ);
      connected = true;
      return true;
    }
    return false;
  }

  SelectionKey key() {
    return key;
  }

  /**
   * Lets go of the socket without closing it: another connection takes it over (a session resumed
   * on it), making a {@link SocketIo} of its own from this one. Loop thread.
   */
  void release() {
    released = true;
    key.interestOps(0);
  }

  // ------------------------------------------------------------------ reading

  /** Reads what the socket has, a bounded number of times, and routes the frames. */
  void read() throws IOException, ProtocolException {
    try {
      readFrames();
    } catch (TlsFailure e) {
      connection.closer.tlsFailed(e);
    }
  }

  private void readFrames() throws IOException, ProtocolException {
    if (!tlsReady()) {
      return;
    }
    ByteBuffer buffer = loop.decodeBuffer;
    ByteBuffer socketBuffer = tls != null ? buffer : loop.readBuffer;
    for (int i = 0; i < READS_PER_WAKEUP && !isReadPaused() && !inputDone; i++) {
      socketBuffer.clear();
      int n = in.read(socketBuffer);
      if (n < 0) {
        inputDone = true;
        interest(SelectionKey.OP_READ, false);
        connection.closer.onEndOfStream();
        return;
      }
      if (n == 0) {
        return;
      }
      // A read that did not fill the buffer has most likely emptied the socket: stop here rather
      // than pay a system call to hear so (the selector reports the socket again if more came).
      // For a heartbeat or a request that is one read in two.
      boolean drained = n < buffer.capacity();
      bytesReceived += n;
      if (discardInput) {
        if ((discardedBytes += n) > DISCARD_READ_LIMIT) {
          connection.closer.abort("the peer kept sending while the connection was closing");
          return;
        }
      } else {
        if (connection.state() == ConnectionState.GOAWAY_SENT && readTooMuchAfterGoAway(n)) {
          return;
        }
        if (tls == null) {
          buffer.clear();
          buffer.put(socketBuffer.flip());
        }
        buffer.flip();
        connection.keepAlive.read(System.nanoTime());
        decoder.decode(buffer, connection.router);
        connection.mailbox.publish();
        if (decoder.isPaused()) {
          pause();
        }
      }
      // Another read would likely overfill the inbound queue and pause reading, which costs two
      // selector updates; the selector reports the socket again on the next turn, after the
      // handlers have made room.
      if (drained || connection.mailbox.halfFull()) {
        break;
      }
    }
    if (tls != null && !isReadPaused() && !inputDone) {
      readBufferedSoon();
    }
  }

  /**
   * Counts {@code n} bytes read after this side's GOAWAY; past the bound, gives up on the peer and
   * returns true. The bound leaves room for the peer's answers to every request still outstanding
   * when it is set, each at most one frame of this side's largest size.
   */
  private boolean readTooMuchAfterGoAway(int n) {
    long frame = connection.config.maxFrameBytes();
    if (readAfterGoAwayLimit == 0) {
      readAfterGoAwayLimit = AFTER_GOAWAY_READ_LIMIT + frame * (1 + connection.requests.size());
    }
    readAfterGoAway += n;
    if (readAfterGoAway <= readAfterGoAwayLimit) {
      return false;
    }
    connection.closer.abort(
        "peer "
            + connection.peerName
            + " kept sending after this side's GOAWAY instead of answering it: "
            + readAfterGoAway
            + " bytes read since, more than 64 MiB and a frame for each request awaiting an"
            + " answer");
    return true;
  }

  /**
   * Reads again on the loop's next turn if the TLS layer may hold records: the selector reports
   * only what waits in the socket.
   */
  private void readBufferedSoon() {
    if (tls != null && tls.mayHaveBufferedInput() && !readScheduled) {
      readScheduled = true;
      loop.execute(readTask);
    }
  }

  /**
   * Stops reading: the router said there is no room, in the inbound queues for what it delivers or
   * in the outbound queue for what it would answer. The decoder keeps what it has not delivered.
   */
  private void pause() {
    paused = true;
    updateReadInterest();
  }

  /**
   * Resumes reading if paused and there is room both ways again, delivering what the decoder held
   * back first; called when the inbound queues make room and when the outbound queue drains.
   */
  void tryResume() throws ProtocolException {
    if (!paused || held || !connection.canRead()) {
      return;
    }
    paused = false;
    connection.keepAlive.listening(System.nanoTime());
    if (decoder.isPaused()) {
      decoder.resume(connection.router);
      connection.mailbox.publish();
      if (decoder.isPaused()) {
        pause();
        return;
      }
    }
    updateReadInterest(); // the selector reports what waits in the socket
    readBufferedSoon(); // but not what waits in the TLS layer
  }

  /**
   * Keeps reading paused, whatever room there is, until {@link #endHold()}: while an authorizer
   * judges the peer's handshake, nothing more the peer sent is handled.
   */
  void holdReading() {
    held = true;
  }

  /** Ends {@link #holdReading()}; the caller then resumes reading with {@link #tryResume()}. */
  void endHold() {
    held = false;
  }

  /** Stops reading until the outbound queue is under its bound again (see {@link #tryResume}). */
  void pauseForOutbound() {
    if (!paused && !discardInput) {
      pause();
    }
  }

  /** Stops decoding: what arrives is read and dropped, up to a bound, until the peer is done. */
  void discardInput() {
    discardInput = true;
    paused = false;
    updateReadInterest();
  }

  /** Stops reading for good, e.g. after the peer's GOAWAY, after which nothing may follow. */
  void stopReading() {
    inputDone = true;
    updateReadInterest();
  }

  /**
   * Over TLS, reads on after the peer's GOAWAY, dropping what comes, until the end of the stream;
   * returns false if there is nothing to wait for (no TLS). Called once this side's output is shut,
   * and only before the end of the stream (the closer's {@code eof}). The peer's close_notify
   * follows its GOAWAY, possibly in a later segment; a socket closed with it unread, or closed
   * before it arrives, makes the kernel answer with a reset, which throws away what this side wrote
   * and the peer has not read yet (PROTOCOL.md §8: a close never becomes a reset). Not earlier than
   * the output shut: under TLS 1.2 the engine answers a close_notify by ending this side's output.
   * Under TLS 1.2 a peer like this one sends no close_notify before it closes the socket, so there
   * the end is its FIN.
   */
  boolean readToEndOfStream() {
    if (tls == null || closed) {
      return false;
    }
    if (!readingToEnd) {
      readingToEnd = true;
      inputDone = false;
      discardInput();
      if (!readScheduled) {
        readScheduled = true; // the TLS layer may already hold the close_notify
        loop.execute(readTask);
      }
    }
    return true;
  }

  boolean isReadPaused() {
    return paused;
  }

  private void updateReadInterest() {
    interest(SelectionKey.OP_READ, !isReadPaused() && !inputDone);
  }

  // ------------------------------------------------------------------ TLS handshake

  /**
   * Advances the TLS handshake, if there is one still going, and sets the interest ops to what it
   * waits for; returns true once frames may flow. On the client, the preamble and HELLO queued at
   * connect are written as soon as TLS is up.
   */
  private boolean tlsReady() throws IOException {
    if (tls == null || tls.isEstablished()) {
      return true;
    }
    switch (tls.handshake()) {
      case DONE -> {
        interest(SelectionKey.OP_WRITE, false);
        updateReadInterest();
        flush();
        return connection.state() != ConnectionState.CLOSED && connection.io() == this;
      }
      case NEED_READ -> {
        interest(SelectionKey.OP_WRITE, false);
        interest(SelectionKey.OP_READ, true);
      }
      case NEED_WRITE -> {
        interest(SelectionKey.OP_READ, false);
        interest(SelectionKey.OP_WRITE, true);
      }
      case NEED_TASK -> {
        interest(SelectionKey.OP_READ, false);
        interest(SelectionKey.OP_WRITE, false);
      }
      case END_OF_STREAM -> {
        inputDone = true;
        interest(SelectionKey.OP_READ, false);
        connection.closer.onEndOfStream();
      }
    }
    return false;
  }

  /** A delegated TLS task finished: carry on where it stopped. Loop thread. */
  private void afterTlsTask() {
    if (connection.io() == this) {
      connection.doIo(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    }
  }

  /** Returns true on a TLS server whose client sent plaintext where TLS belongs. */
  boolean plaintextOnTlsPort() {
    return tls != null && tls.isPlaintext();
  }

  /** Returns the negotiated TLS protocol, or an empty string without TLS. */
  String tlsProtocol() {
    return tls == null ? "" : tls.protocol();
  }

  /** Returns the peer's verified certificate chain; empty without TLS or without one. */
  List<X509Certificate> peerCertificates() {
    return tls == null ? List.of() : tls.peerCertificates();
  }

  // ------------------------------------------------------------------ writing

  /**
   * Makes the loop write what is queued at the end of its turn, once however many frames were
   * queued meanwhile: one system call for a batch of replies.
   */
  void scheduleFlush() {
    if (loopFlushes) {
      return; // the loop's write in progress, or the one when the socket has room, takes it
    }
    if (flushScheduled.compareAndSet(false, true)) {
      if (loop.inLoop()) {
        loop.atEndOfTurn(flushTask);
      } else {
        loop.execute(flushTask);
      }
    }
  }

  /**
   * Returns true if a flush is scheduled and has not started yet: frames that senders queued wait
   * for the loop's end of turn, or for its task.
   */
  boolean flushPending() {
    return flushScheduled.get();
  }

  /** Returns true while this socket is the connection's, connected and open for writing. */
  private boolean writesFrames() {
    return connected && !outputShut && !released && !closed && connection.io() == this;
  }

  /** Flushes on the loop's next turn, not in this one's end-of-turn pass; loop thread. */
  private void flushNextTurn() {
    if (flushScheduled.compareAndSet(false, true)) {
      loop.execute(flushTask);
    }
  }

  /**
   * A sender's direct write found the socket full and queued its frame: the loop writes it once the
   * selector reports room, as after a short write of its own.
   */
  private void awaitRoom() {
    loopFlushes = true;
    loop.execute(awaitRoomTask);
  }

  /**
   * Writes what is queued, as much as the socket takes; loop thread. If the socket takes it all,
   * frames that senders queued while it wrote, having found {@link #loopFlushes} up, are written on
   * the loop's next turn, after it has read and served its other channels.
   */
  void flush() {
    if (!writesFrames()) {
      return;
    }
    if (tls != null && !tls.isEstablished()) {
      flushBeforeTls();
      return;
    }
    OutboundBuffer outbound = connection.outbound;
    ByteBuffer buffer = loop.writeBuffer;
    loopFlushes = true;
    try {
      while (true) {
        buffer.clear();
        int queued = outbound.drainTo(buffer);
        if (queued == 0) {
          break;
        }
        buffer.flip();
        int written = out.write(buffer);
        if (written > 0) {
          writes.increment();
          long now = System.nanoTime();
          lastSendNanos = now;
          connection.keepAlive.sent(now);
          bytesSent.add(written);
          if (outbound.written(written)) {
            connection.onWritable();
          }
          if (outbound.replayOverCap()) {
            connection.closer.connectionLost(unacknowledged(outbound), null);
            return;
          }
        }
        if (written < queued) {
          if (written == 0) {
            refusedWrites.increment();
          }
          interest(SelectionKey.OP_WRITE, true);
          return; // loopFlushes stays up: the selector's report of room flushes again
        }
      }
      if (tls != null && !tls.flushPending()) {
        interest(SelectionKey.OP_WRITE, true); // the last record waits in the TLS layer
        return;
      }
      interest(SelectionKey.OP_WRITE, false);
      // lowered before looking, so a frame queued after the look schedules a flush of its own
      loopFlushes = false;
      if (outbound.hasWritableBytes()) {
        flushNextTurn();
      }
      if (connection.state() == ConnectionState.GOAWAY_SENT && outbound.isDrained()) {
        if (tls != null && !tls.halfCloses()) {
          // TLS 1.2 has no half-close: the peer's engine would answer close_notify by closing its
          // own output, cutting off the answers and the GOAWAY this side reads on for. So this
          // side only stops writing; close_notify goes with the socket's close.
          outputShut = true;
          connection.closer.onOutputShut();
          return;
        }
        if (tls != null && !tls.closeOutput()) {
          interest(SelectionKey.OP_WRITE, true); // close_notify waits for room
          return;
        }
        outputShut = true;
        channel.shutdownOutput();
        connection.closer.onOutputShut();
      }
    } catch (TlsFailure e) {
      connection.closer.tlsFailed(e);
    } catch (IOException e) {
      connection.closer.connectionLost(
          "write to " + connection.peerName + " failed: " + e.getMessage(), e);
    } catch (RuntimeException | Error e) {
      loopFlushes = false; // sends after this schedule their own flush again
      throw e;
    }
  }

  /**
   * Before TLS is up nothing queued may be written: advance the handshake instead. A connection
   * that gave up (its GOAWAY is queued: a handshake timeout, say) cannot send anything the peer
   * could read, so it closes now.
   */
  private void flushBeforeTls() {
    if (connection.state() == ConnectionState.GOAWAY_SENT) {
      connection.closer.abort(
          "the TLS handshake with " + connection.peerName + " had not completed");
      return;
    }
    try {
      tlsReady();
    } catch (TlsFailure e) {
      connection.closer.tlsFailed(e);
    } catch (IOException e) {
      connection.closer.connectionLost(
          "TLS handshake with " + connection.peerName + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Writes a whole frame from the sender's thread, bypassing the loop, when that is safe and cheap:
   * nothing queued, the sender not in a burst, and the loop not about to write anyway ({@link
   * #loopWritesSoon}).
   *
   * <p>Frames already queued go first, so then nothing is done, and no clock read either (on a
   * virtual machine one costs a fifth of a small send): a sender streaming faster than the loop
   * writes only appends. The loop's writes count as sends for the burst, so that the first send
   * after a flush emptied the queue does not take a system call of its own.
   *
   * @param made how the frame was made: nothing is done unless that is still the session's way
   * @return true if the frame was written, or queued behind its written part
   */
  boolean tryWriteDirect(ByteBuffer frame, Encoding made) {
    if (outputShut || closed || !connection.outbound.ringLooksEmpty() || loopWritesSoon()) {
      return false;
    }
    long now = System.nanoTime();
    long previous = lastSendNanos;
    lastSendNanos = now;
    if (now - previous < BURST_NANOS) {
      return false;
    }
    int length = frame.remaining();
    int written;
    try {
      written = connection.outbound.writeDirect(frame, out, made);
    } catch (IOException e) {
      return false; // queued instead; the loop sees the failure on its next read or write
    }
    if (written < 0) {
      return false;
    }
    if (written > 0) {
      connection.keepAlive.sent(now);
    }
    bytesSent.add(written);
    if (written == 0 && tls == null) {
      awaitRoom(); // the socket is full: a flush now would only be told so
    } else if (written < length || tls != null && tls.hasPendingOutput()) {
      scheduleFlush();
    }
    return true;
  }

  private String unacknowledged(OutboundBuffer outbound) {
    return connection.peerName
        + " has not acknowledged "
        + outbound.replayBytes()
        + " bytes of messages written to it, more than the "
        + outbound.replayCap()
        + " it keeps for that (twice maxQueuedOutboundBytes and one frame of the largest size"
        + " the peer accepts); the socket is closed, and the session resumes from what the peer"
        + " received";
  }

  /**
   * Returns true on this connection's loop, and in a handler it runs unless that handler answers
   * the last message its connection has for this turn: the loop writes the turn's replies in one
   * system call once its handlers are done. A first reply written apart split the peer's next read
   * in two, and pipelined echo settled into ever smaller runs (110k-250k msg/s instead of 200k-330k
   * for fury); a lone request's reply still goes at once.
   */
  private boolean loopWritesSoon() {
    if (loop.inLoop()) {
      return true;
    }
    if (!loop.isHandlerThread()) {
      return false;
    }
    Mailbox mailbox = connection.mailbox;
    return !mailbox.isDispatchThread() || mailbox.moreToDeliver();
  }

  /**
   * Sends a heartbeat PING carrying {@code now}, unless frames are waiting to be written (they are
   * signs of life already). Written from the loop's buffer: an idle connection's heartbeat
   * allocates nothing.
   */
  void sendPing(long now) {
    if (!outputShut && connection.outbound.unwritten() == 0) {
      connection.outbound.offerPing(now);
      flush();
    }
  }

  /**
   * Answers a PING, ahead of queued frames (at the next frame boundary); a newer PING replaces an
   * unanswered one. Returns whether reading may go on: always.
   */
  boolean sendPong(long payload) throws ProtocolException {
    if (!outputShut) {
      int owed = connection.outbound.offerPong(payload);
      if (owed > MAX_OWED_PONGS) {
        throw new ProtocolException(
            GoAwayCode.PROTOCOL_ERROR,
            "PING flood: "
                + owed
                + " PINGs arrived before this side could write a single one of their PONGs"
                + " (PROTOCOL.md §8: a side PINGs only when it has sent nothing for a"
                + " heartbeat)");
      }
      scheduleFlush();
    }
    // reading goes on whatever the outbound queue holds: the PONGs owed are bounded by count
    // (above), and a side whose own messages fill the queue keeps hearing the peer's PINGs, the
    // signs of life that give a peer slow to read its grace (KeepAlive.busyPeer)
    return true;
  }

  /**
   * Writes a refusal ({@code bytes}: preamble and GOAWAY) to a socket nothing else will use and
   * closes it, through TLS if there is TLS: a few bytes into an empty socket buffer, best effort.
   */
  void refuseAndClose(byte[] bytes) {
    try {
      ByteBuffer refusal = ByteBuffer.wrap(bytes);
      out.write(refusal);
      if (tls != null) {
        tls.closeOutput();
      }
      channel.shutdownOutput();
    } catch (IOException e) {
      // the peer learns it from the close instead
    }
    released = false;
    close();
  }

  // ------------------------------------------------------------------ state

  /** Returns true while a TLS handshake has not completed. */
  boolean tlsPending() {
    return tls != null && !tls.isEstablished();
  }

  boolean isOutputShut() {
    return outputShut;
  }

  private void interest(int op, boolean on) {
    if (key == null || !key.isValid()) {
      return;
    }
    int ops = key.interestOps();
    int wanted = on ? ops | op : ops & ~op;
    if (wanted != ops) {
      key.interestOps(wanted);
    }
  }

  /** Closes the socket, unless another connection took it over; loop thread. */
  void close() {
    closed = true;
    if (released) {
      return;
    }
    if (key != null) {
      key.cancel();
    }
    if (tls != null) {
      tls.close();
      return;
    }
    try {
      channel.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
