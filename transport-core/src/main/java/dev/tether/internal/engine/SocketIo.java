package dev.tether.internal.engine;

import dev.tether.internal.wire.FrameDecoder;
import dev.tether.internal.wire.ProtocolException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The bytes of one connection: reading into the loop's buffer and through the {@link FrameDecoder},
 * writing the {@link OutboundBuffer} with the loop's buffer, direct writes from senders, PING and
 * PONG, interest ops, read pauses and the half-close. It knows nothing of what frames mean; the
 * {@link FrameRouter} does.
 *
 * <p>Loop thread only, except {@link #scheduleFlush} and {@link #tryWriteDirect}.
 */
final class SocketIo {
  /** Socket reads per wake-up before the loop serves its other channels. */
  private static final int READS_PER_WAKEUP = 16;

  /** Bytes a closing connection still reads and throws away before it gives up on the peer. */
  private static final long DISCARD_READ_LIMIT = 64L * 1024 * 1024;

  /**
   * Sends closer than this to the previous one form a burst: they are queued for the loop to write
   * in batches, since a system call per message would cost more than the loop's wake-up.
   */
  private static final long BURST_NANOS = 20_000;

  private final RealConnection<?, ?> connection;
  private final EventLoop loop;
  final SocketChannel channel;
  final FrameDecoder decoder;
  private SelectionKey key;

  private final AtomicBoolean flushScheduled = new AtomicBoolean();
  private final Runnable flushTask;
  private volatile long lastSendNanos;

  private boolean paused;
  private boolean discardInput;
  private long discardedBytes;
  private boolean outputShut;
  private boolean inputDone;
  private boolean connected;
  private boolean released;
  private volatile boolean closed;

  final LongAdder bytesSent = new LongAdder();
  volatile long bytesReceived;

  /**
   * @param expectPreamble false for a socket whose preamble and HELLO another connection read
   *     already (a server resuming a session on it)
   */
  SocketIo(RealConnection<?, ?> connection, SocketChannel channel, boolean expectPreamble) {
    this.connection = connection;
    this.loop = connection.loop;
    this.channel = channel;
    this.decoder =
        expectPreamble
            ? new FrameDecoder(FrameDecoder.HANDSHAKE_MAX_FRAME_LENGTH, true)
            : new FrameDecoder(connection.config.maxFrameBytes(), false);
    this.flushTask =
        () -> {
          flushScheduled.set(false);
          flush();
        };
    this.lastSendNanos = System.nanoTime() - BURST_NANOS;
  }

  /** Registers with the loop's selector, for the connect or for reading. */
  void register(boolean connecting) throws IOException {
    int ops = connecting ? SelectionKey.OP_CONNECT : SelectionKey.OP_READ;
    key = channel.register(loop.selector(), ops, connection);
    connected = !connecting;
  }

  /**
   * Takes over a connected socket that another connection registered, for reading: the key is kept
   * if it belongs to this loop's selector (a channel cannot be registered twice with one), and
   * moved to this loop otherwise.
   */
  void takeOver(SelectionKey previous) throws IOException {
    if (previous.selector() == loop.selector() && previous.isValid()) {
      previous.attach(connection);
      previous.interestOps(SelectionKey.OP_READ);
      key = previous;
    } else {
      previous.cancel();
      key = channel.register(loop.selector(), SelectionKey.OP_READ, connection);
    }
    connected = true;
  }

  /** Completes a pending connect; returns true once connected. */
  boolean finishConnect() throws IOException {
    if (channel.finishConnect()) {
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
   * on it) with the returned key. Loop thread.
   */
  SelectionKey release() {
    released = true;
    key.interestOps(0);
    return key;
  }

  // ------------------------------------------------------------------ reading

  /** Reads what the socket has, a bounded number of times, and routes the frames. */
  void read() throws IOException, ProtocolException {
    ByteBuffer buffer = loop.readBuffer;
    for (int i = 0; i < READS_PER_WAKEUP && !isReadPaused() && !inputDone; i++) {
      buffer.clear();
      int n = channel.read(buffer);
      if (n < 0) {
        inputDone = true;
        interest(SelectionKey.OP_READ, false);
        connection.closer.onEndOfStream();
        return;
      }
      if (n == 0) {
        return;
      }
      bytesReceived += n;
      if (discardInput) {
        if ((discardedBytes += n) > DISCARD_READ_LIMIT) {
          connection.closer.abort("the peer kept sending while the connection was closing");
          return;
        }
        continue;
      }
      buffer.flip();
      connection.keepAlive.read(System.nanoTime());
      decoder.decode(buffer, connection.router);
      if (decoder.isPaused()) {
        pause();
      }
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
    if (!paused || !connection.canRead()) {
      return;
    }
    paused = false;
    if (decoder.isPaused()) {
      decoder.resume(connection.router);
      if (decoder.isPaused()) {
        pause();
        return;
      }
    }
    updateReadInterest(); // the selector reports what waits in the socket
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

  boolean isReadPaused() {
    return paused;
  }

  private void updateReadInterest() {
    interest(SelectionKey.OP_READ, !isReadPaused() && !inputDone);
  }

  // ------------------------------------------------------------------ writing

  /**
   * Makes the loop write what is queued at the end of its turn, once however many frames were
   * queued meanwhile: one system call for a batch of replies.
   */
  void scheduleFlush() {
    if (flushScheduled.compareAndSet(false, true)) {
      if (loop.inLoop()) {
        loop.atEndOfTurn(flushTask);
      } else {
        loop.execute(flushTask);
      }
    }
  }

  /** Writes what is queued, as much as the socket takes; loop thread. */
  void flush() {
    if (!connected || outputShut || released || closed || connection.io() != this) {
      return;
    }
    OutboundBuffer outbound = connection.outbound;
    ByteBuffer buffer = loop.writeBuffer;
    try {
      while (true) {
        buffer.clear();
        int queued = outbound.drainTo(buffer);
        if (queued == 0) {
          break;
        }
        buffer.flip();
        int written = channel.write(buffer);
        if (written > 0) {
          bytesSent.add(written);
          if (outbound.written(written)) {
            connection.onWritable();
          }
        }
        if (written < queued) {
          interest(SelectionKey.OP_WRITE, true);
          return;
        }
      }
      interest(SelectionKey.OP_WRITE, false);
      if (connection.state() == ConnectionState.GOAWAY_SENT && outbound.isDrained()) {
        outputShut = true;
        channel.shutdownOutput();
        connection.closer.onOutputShut();
      }
    } catch (IOException e) {
      connection.closer.connectionLost(
          "write to " + connection.peerName + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Writes a whole frame from the sender's thread, bypassing the loop, when that is safe and cheap:
   * nothing queued, the sender not in a burst, and not on this connection's loop (which writes at
   * the end of its turn anyway).
   *
   * @return true if the frame was written, or queued behind its written part
   */
  boolean tryWriteDirect(ByteBuffer frame) {
    long now = System.nanoTime();
    long previous = lastSendNanos;
    lastSendNanos = now;
    if (now - previous < BURST_NANOS || loop.inLoop() || outputShut || closed) {
      return false;
    }
    int length = frame.remaining();
    int written;
    try {
      written = connection.outbound.writeDirect(frame, channel);
    } catch (IOException e) {
      return false; // queued instead; the loop sees the failure on its next read or write
    }
    if (written < 0) {
      return false;
    }
    bytesSent.add(written);
    if (written < length) {
      scheduleFlush();
    }
    return true;
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
   * unanswered one. Returns whether reading may go on.
   */
  boolean sendPong(long payload) {
    if (!outputShut) {
      connection.outbound.offerPong(payload);
      connection.keepAlive.sent(System.nanoTime());
      scheduleFlush();
    }
    return connection.outboundUnderBound();
  }

  // ------------------------------------------------------------------ state

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
    try {
      channel.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
