package dev.tether.internal.engine;

import dev.tether.TlsConfig;
import dev.tether.internal.wire.FrameDecoder;
import dev.tether.internal.wire.FrameType;
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
import java.util.concurrent.Executor;
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
   * Sends closer than this to the previous one form a burst: they are queued for the loop to write
   * in batches, since a system call per message would cost more than the loop's wake-up.
   */
  private static final long BURST_NANOS = 20_000;

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
  private final Runnable flushTask;
  private volatile long lastSendNanos;

  private boolean paused;
  private boolean discardInput;
  private long discardedBytes;
  private boolean outputShut;
  private boolean inputDone;

  final LongAdder bytesSent = new LongAdder();
  volatile long bytesReceived;

  /**
   * @param tlsConfig TLS for this connection, or null for none
   * @param taskExecutor where the TLS engine's delegated tasks run; never an event loop
   */
  SocketIo(
      RealConnection<?, ?> connection,
      SocketChannel channel,
      TlsConfig tlsConfig,
      Executor taskExecutor) {
    this.connection = connection;
    this.loop = connection.loop;
    this.channel = channel;
    this.decoder = new FrameDecoder(FrameDecoder.HANDSHAKE_MAX_FRAME_LENGTH, true);
    this.tls = tlsConfig == null ? null : newTlsStream(tlsConfig, taskExecutor);
    this.in = this.tls != null ? this.tls : channel;
    this.out = this.tls != null ? this.tls : channel;
    this.readTask =
        () -> {
          readScheduled = false;
          connection.doIo(SelectionKey.OP_READ);
        };
    this.flushTask =
        () -> {
          flushScheduled.set(false);
          flush();
        };
    this.lastSendNanos = System.nanoTime() - BURST_NANOS;
  }

  /**
   * A client checks the server's certificate against the host it connects to (or the configured
   * name), and sends that name as SNI; a server has no such name.
   */
  private TlsStream newTlsStream(TlsConfig config, Executor taskExecutor) {
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
        taskExecutor,
        this::afterTlsTask);
  }

  /** Registers with the loop's selector, for the connect or for reading. */
  void register(boolean connecting) throws IOException {
    int ops = connecting ? SelectionKey.OP_CONNECT : SelectionKey.OP_READ;
    key = channel.register(loop.selector(), ops, connection);
  }

  /** Completes a pending connect; returns true once connected. */
  boolean finishConnect() throws IOException {
    if (channel.finishConnect()) {
      key.interestOps(SelectionKey.OP_READ);
      return true;
    }
    return false;
  }

  // ------------------------------------------------------------------ reading

  /** Reads what the socket has, a bounded number of times, and routes the frames. */
  void read() throws IOException, ProtocolException {
    try {
      readFrames();
    } catch (TlsFailure e) {
      connection.tlsFailed(e);
    }
  }

  private void readFrames() throws IOException, ProtocolException {
    if (!tlsReady()) {
      return;
    }
    ByteBuffer buffer = loop.readBuffer;
    for (int i = 0; i < READS_PER_WAKEUP && !isReadPaused() && !inputDone; i++) {
      buffer.clear();
      int n = in.read(buffer);
      if (n < 0) {
        inputDone = true;
        interest(SelectionKey.OP_READ, false);
        connection.onEndOfStream();
        return;
      }
      if (n == 0) {
        return;
      }
      bytesReceived += n;
      if (discardInput) {
        if ((discardedBytes += n) > DISCARD_READ_LIMIT) {
          connection.abort("the peer kept sending while the connection was closing");
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
    if (tls != null && !isReadPaused() && !inputDone) {
      readBufferedSoon();
    }
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
        return connection.state() != ConnectionState.CLOSED;
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
        connection.onEndOfStream();
      }
    }
    return false;
  }

  /** A delegated TLS task finished: carry on where it stopped. Loop thread. */
  private void afterTlsTask() {
    connection.doIo(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
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
    if (decoder.isPaused()) {
      decoder.resume(connection.router);
      if (decoder.isPaused()) {
        pause();
        return;
      }
    }
    updateReadInterest(); // the selector reports what waits in the socket
    readBufferedSoon(); // but not what waits in the TLS layer
  }

  /**
   * Keeps reading paused, whatever room there is, until {@link #release()}: while an authorizer
   * judges the peer's handshake, nothing more the peer sent is handled.
   */
  void hold() {
    held = true;
  }

  /** Ends {@link #hold()}; the caller then resumes reading with {@link #tryResume()}. */
  void release() {
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

  boolean isReadPaused() {
    return paused;
  }

  private void updateReadInterest() {
    interest(SelectionKey.OP_READ, !isReadPaused() && !inputDone);
  }

  // ------------------------------------------------------------------ writing

  /** Writes what is queued; on another thread it schedules itself on the loop. */
  void scheduleFlush() {
    if (loop.inLoop()) {
      flush();
    } else if (flushScheduled.compareAndSet(false, true)) {
      loop.execute(flushTask);
    }
  }

  /** Writes what is queued, as much as the socket takes; loop thread. */
  void flush() {
    ConnectionState state = connection.state();
    if (state == ConnectionState.CLOSED || state == ConnectionState.CONNECTING || outputShut) {
      return;
    }
    if (tls != null && !tls.isEstablished()) {
      flushBeforeTls(state);
      return;
    }
    OutboundBuffer outbound = connection.outbound;
    ByteBuffer buffer = loop.writeBuffer;
    try {
      while (true) {
        buffer.clear();
        int queued = outbound.peek(buffer);
        if (queued == 0) {
          break;
        }
        buffer.flip();
        int written = out.write(buffer);
        if (written > 0) {
          bytesSent.add(written);
          if (outbound.consume(written)) {
            onWritable();
          }
        }
        if (written < queued) {
          interest(SelectionKey.OP_WRITE, true);
          return;
        }
      }
      if (tls != null && !tls.flushPending()) {
        interest(SelectionKey.OP_WRITE, true); // the last record waits in the TLS layer
        return;
      }
      interest(SelectionKey.OP_WRITE, false);
      if (connection.state() == ConnectionState.GOAWAY_SENT && outbound.isClosed()) {
        if (tls != null && !tls.closeOutput()) {
          interest(SelectionKey.OP_WRITE, true); // close_notify waits for room
          return;
        }
        outputShut = true;
        channel.shutdownOutput();
        connection.onOutputShut();
      }
    } catch (TlsFailure e) {
      connection.tlsFailed(e);
    } catch (IOException e) {
      connection.connectionLost(
          "write to " + connection.peerName + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Before TLS is up nothing queued may be written: advance the handshake instead. A connection
   * that gave up (its GOAWAY is queued: a handshake timeout, say) cannot send anything the peer
   * could read, so it closes now.
   */
  private void flushBeforeTls(ConnectionState state) {
    if (state == ConnectionState.GOAWAY_SENT) {
      connection.abort("the TLS handshake with " + connection.peerName + " had not completed");
      return;
    }
    try {
      tlsReady();
    } catch (TlsFailure e) {
      connection.tlsFailed(e);
    } catch (IOException e) {
      connection.connectionLost(
          "TLS handshake with " + connection.peerName + " failed: " + e.getMessage(), e);
    }
  }

  private void onWritable() {
    connection.onWritable();
  }

  /**
   * Writes a whole frame from the sender's thread, bypassing the loop, when that is safe and cheap:
   * nothing queued, the sender not in a burst, and not on this connection's loop (which writes at
   * the end of its turn anyway).
   *
   * @return true if the frame was written or queued behind its written part
   */
  boolean tryWriteDirect(ByteBuffer frame) {
    long now = System.nanoTime();
    long previous = lastSendNanos;
    lastSendNanos = now;
    if (now - previous < BURST_NANOS || loop.inLoop() || outputShut) {
      return false;
    }
    int length = frame.remaining();
    int written;
    try {
      written = connection.outbound.writeDirect(frame, out);
    } catch (IOException e) {
      return false; // queued instead; the loop sees the failure on its next read or write
    }
    if (written < 0) {
      return false;
    }
    bytesSent.add(written);
    if (written < length || tls != null && tls.hasPendingOutput()) {
      scheduleFlush();
    }
    return true;
  }

  /**
   * Sends a PING carrying {@code now}, straight from the loop's control buffer so that an idle
   * connection's heartbeat allocates nothing; skipped if frames are queued (they are signs of life
   * already).
   */
  boolean sendPing(long now) {
    return writeControl(FrameType.PING, now, false);
  }

  /** Answers a PING; queued behind other frames if there are any (and then the bound applies). */
  boolean sendPong(long payload) {
    if (writeControl(FrameType.PONG, payload, true)) {
      connection.keepAlive.sent(System.nanoTime());
    }
    return connection.outboundUnderBound();
  }

  private boolean writeControl(int type, long payload, boolean queueIfBusy) {
    if (outputShut || connection.outbound.isClosed()) {
      return false;
    }
    ByteBuffer frame = loop.controlBuffer;
    frame.clear();
    frame.putInt(9).put((byte) type).putLong(payload).flip();
    try {
      int written = connection.outbound.writeDirect(frame, out);
      if (written >= 0) {
        bytesSent.add(written);
        if (written < 13 || tls != null && tls.hasPendingOutput()) {
          interest(SelectionKey.OP_WRITE, true);
        }
        return true;
      }
    } catch (TlsFailure e) {
      connection.tlsFailed(e);
      return false;
    } catch (IOException e) {
      connection.connectionLost(
          "write to " + connection.peerName + " failed: " + e.getMessage(), e);
      return false;
    }
    if (!queueIfBusy) {
      return false;
    }
    byte[] copy = new byte[13];
    frame.rewind().get(copy);
    connection.appendOwed(copy); // the router stops reading if this went over the bound
    return true;
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

  /** Closes the socket; loop thread. */
  void close() {
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
