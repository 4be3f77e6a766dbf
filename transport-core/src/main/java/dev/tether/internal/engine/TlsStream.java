package dev.tether.internal.engine;

import dev.tether.TlsConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import tlschannel.ClientTlsChannel;
import tlschannel.NeedsReadException;
import tlschannel.NeedsTaskException;
import tlschannel.NeedsWriteException;
import tlschannel.ServerTlsChannel;
import tlschannel.TlsChannel;

/**
 * TLS over one connection's socket, through tls-channel's {@link TlsChannel} (which drives the
 * JDK's {@link SSLEngine} correctly for non-blocking channels): a handshake advanced step by step
 * from the event loop, reads and writes that never block, close_notify as the half-close, the alert
 * a failed handshake owes the peer, and the first-byte check that tells a plaintext peer from a TLS
 * one. To {@link SocketIo} it is the socket: a {@link ByteChannel} of plaintext.
 *
 * <p>The engine's delegated tasks (certificate checks, key agreement) run on the runtime's handler
 * executor, never on the loop; the connection neither reads nor writes until the task is done.
 *
 * <p>Loop thread only, except {@link #write}, {@link #hasPendingOutput} and the read-only
 * accessors, which senders call for direct writes.
 */
final class TlsStream implements ByteChannel {
  /** What {@link #handshake()} needs before it can go on. */
  enum Step {
    /** TLS is established, or the peer speaks plaintext ({@link #isPlaintext()}). */
    DONE,
    NEED_READ,
    NEED_WRITE,
    /** A delegated task runs; {@code afterTask} is called on the loop when it is done. */
    NEED_TASK,
    /** The peer closed the stream before sending anything. */
    END_OF_STREAM
  }

  private enum Mode {
    /** A server that has read nothing yet: the first byte says TLS or plaintext. */
    SNIFFING,
    HANDSHAKING,
    ESTABLISHED,
    /** A server whose client sent plaintext: bytes pass through so that it can be refused. */
    PLAINTEXT
  }

  /** A TLS record starts with its content type; a handshake record, the ClientHello, is 22. */
  private static final int TLS_HANDSHAKE_RECORD = 0x16;

  /** The room a read needs to hold any TLS record's plaintext without tls-channel copying it. */
  private static final int RECORD_ROOM = 17 * 1024;

  /** The first bytes a peer sent, kept to recognise a peer that does not speak TLS. */
  private static final int RECORDED_BYTES = 1040;

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  private final SocketChannel socket;
  private final RawChannel raw;
  private final boolean client;
  private final TlsConfig config;
  private final String peerHost;
  private final int peerPort;
  private final String peerName;
  private final Executor taskExecutor;
  private volatile EventLoop loop;
  private volatile Runnable afterTask;

  /** Held around every write and every change of {@link #pendingOutput}; never across a wait. */
  private final ReentrantLock writeLock = new ReentrantLock();

  private TlsChannel tls;
  private volatile Mode mode;
  private volatile boolean pendingOutput;
  private boolean taskRunning;
  private boolean inputMayBeBuffered;
  private ByteBuffer closeNotify;

  /**
   * @param peerHost the host a client checks the server's certificate against and sends as SNI;
   *     null on a server
   * @param taskExecutor where the engine's delegated tasks run
   * @param afterTask called on the loop once a delegated task has finished
   */
  TlsStream(
      SocketChannel socket,
      boolean client,
      TlsConfig config,
      String peerHost,
      int peerPort,
      String peerName,
      EventLoop loop,
      Executor taskExecutor,
      Runnable afterTask) {
    this.socket = socket;
    this.raw = new RawChannel(socket, client);
    this.client = client;
    this.config = config;
    this.peerHost = peerHost;
    this.peerPort = peerPort;
    this.peerName = peerName;
    this.loop = loop;
    this.taskExecutor = taskExecutor;
    this.afterTask = afterTask;
    if (client) {
      tls = newClientChannel();
      mode = Mode.HANDSHAKING;
    } else {
      mode = Mode.SNIFFING;
    }
  }

  private TlsChannel newClientChannel() {
    SSLEngine engine =
        peerHost == null
            ? config.sslContext().createSSLEngine()
            : config.sslContext().createSSLEngine(peerHost, peerPort);
    engine.setUseClientMode(true);
    SSLParameters parameters = engine.getSSLParameters();
    parameters.setProtocols(config.protocols().toArray(String[]::new));
    parameters.setEndpointIdentificationAlgorithm("HTTPS");
    engine.setSSLParameters(parameters);
    return configure(ClientTlsChannel.newBuilder(raw, engine)).build();
  }

  private TlsChannel newServerChannel() {
    return configure(
            ServerTlsChannel.newBuilder(raw, config.sslContext())
                .withEngineFactory(
                    context -> {
                      SSLEngine engine = context.createSSLEngine();
                      engine.setUseClientMode(false);
                      SSLParameters parameters = engine.getSSLParameters();
                      parameters.setProtocols(config.protocols().toArray(String[]::new));
                      parameters.setNeedClientAuth(config.clientCertificateRequired());
                      engine.setSSLParameters(parameters);
                      return engine;
                    }))
        .build();
  }

  private static <T extends tlschannel.TlsChannelBuilder<T>> T configure(T builder) {
    return builder
        .withRunTasks(false) // delegated tasks go to the handler executor: see runTask
        .withEncryptedBufferAllocator(TlsBuffers.SHARED)
        .withReleaseBuffers(true); // an idle connection holds no record buffer
  }

  // ------------------------------------------------------------------ handshake (loop)

  /**
   * Advances the handshake as far as the socket allows without waiting.
   *
   * @throws TlsFailure if the handshake failed (after sending the alert the peer is owed)
   * @throws IOException if the socket failed
   */
  Step handshake() throws IOException {
    if (taskRunning) {
      return Step.NEED_TASK;
    }
    if (mode == Mode.SNIFFING) {
      Step sniffed = sniff();
      if (sniffed != null) {
        return sniffed;
      }
    }
    if (mode != Mode.HANDSHAKING) {
      return Step.DONE;
    }
    try {
      tls.handshake();
    } catch (NeedsReadException e) {
      return Step.NEED_READ;
    } catch (NeedsWriteException e) {
      return Step.NEED_WRITE;
    } catch (NeedsTaskException e) {
      runTask(e.getTask());
      return Step.NEED_TASK;
    } catch (SSLException e) {
      sendAlert();
      throw TlsFailure.of(e, client, peerName, raw.firstBytes(), config.hasKeyMaterial());
    } catch (ClosedChannelException e) {
      throw TlsFailure.closedDuringHandshake(client, peerName);
    } catch (IllegalStateException e) {
      // tls-channel's buffers refuse a record that does not fit, which the engine did not catch
      throw new TlsFailure(
          dev.tether.GoAwayCode.PROTOCOL_ERROR,
          false,
          "TLS handshake with " + peerName + " failed: " + e.getMessage(),
          e);
    }
    mode = Mode.ESTABLISHED;
    raw.stopRecording();
    return Step.DONE;
  }

  /**
   * Server: reads the first bytes and decides, from the first one, whether the client speaks TLS.
   * Returns null once decided, or the step to wait for.
   */
  private Step sniff() throws IOException {
    ByteBuffer first = ByteBuffer.allocate(8);
    int n = socket.read(first);
    if (n < 0) {
      return Step.END_OF_STREAM;
    }
    if (n == 0) {
      return Step.NEED_READ;
    }
    first.flip();
    raw.prefix(first);
    if ((first.get(0) & 0xFF) == TLS_HANDSHAKE_RECORD) {
      tls = newServerChannel();
      mode = Mode.HANDSHAKING;
    } else {
      mode = Mode.PLAINTEXT; // the handshake refuses it, in plaintext, with words it understands
    }
    return null;
  }

  /**
   * Writes the alert the engine produced when the handshake failed, so that the peer learns why
   * instead of seeing the connection drop; best effort, never waiting.
   */
  private void sendAlert() {
    SSLEngine engine = tls.getSslEngine();
    if (engine == null) {
      return;
    }
    try {
      ByteBuffer alert = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
      engine.wrap(EMPTY, alert);
      alert.flip();
      socket.write(alert);
    } catch (IOException | RuntimeException e) {
      // the peer will see the connection close instead
    }
  }

  private void runTask(Runnable task) {
    if (task == null) {
      return;
    }
    taskRunning = true;
    EventLoop owner = loop;
    Runnable then = afterTask;
    Runnable run =
        () -> {
          try {
            task.run();
          } finally {
            owner.execute(
                () -> {
                  taskRunning = false;
                  then.run();
                });
          }
        };
    Execution.onOrHere(taskExecutor, run); // closing: finish here rather than leave it hanging
  }

  /**
   * Serves another connection from now on (a session resumed on this socket): delegated tasks end
   * on {@code loop}, with {@code afterTask}.
   */
  void moveTo(EventLoop loop, Runnable afterTask) {
    this.loop = loop;
    this.afterTask = afterTask;
  }

  /** Returns true once bytes may flow: TLS established, or a plaintext client to be refused. */
  boolean isEstablished() {
    Mode m = mode;
    return m == Mode.ESTABLISHED || m == Mode.PLAINTEXT;
  }

  /** Returns true on a server whose client sent plaintext where a TLS ClientHello belongs. */
  boolean isPlaintext() {
    return mode == Mode.PLAINTEXT;
  }

  /** Returns the negotiated protocol, e.g. {@code TLSv1.3}; empty before the handshake. */
  String protocol() {
    SSLSession session = session();
    return session == null ? "" : session.getProtocol();
  }

  /** Returns the peer's verified certificate chain, leaf first; empty if it presented none. */
  List<X509Certificate> peerCertificates() {
    SSLSession session = session();
    if (session == null) {
      return List.of();
    }
    try {
      List<X509Certificate> chain = new ArrayList<>();
      for (Certificate c : session.getPeerCertificates()) {
        if (c instanceof X509Certificate x509) {
          chain.add(x509);
        }
      }
      return List.copyOf(chain);
    } catch (SSLPeerUnverifiedException e) {
      return List.of();
    }
  }

  private SSLSession session() {
    if (mode != Mode.ESTABLISHED) {
      return null;
    }
    SSLEngine engine = tls.getSslEngine();
    return engine == null ? null : engine.getSession();
  }

  // ------------------------------------------------------------------ reading (loop)

  /**
   * Reads as many records as {@code dst} has room for, without waiting: like a socket read, it
   * returns the bytes available now (0 if none) or -1 at the end of the stream, whether the peer
   * sent close_notify or just closed.
   *
   * @throws TlsFailure if a record was bad or the peer sent an alert
   */
  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (mode == Mode.PLAINTEXT) {
      return raw.read(dst);
    }
    if (taskRunning) {
      return 0;
    }
    int total = 0;
    inputMayBeBuffered = false;
    do {
      int n;
      try {
        n = tls.read(dst);
      } catch (NeedsReadException e) {
        return total;
      } catch (NeedsWriteException e) {
        markPendingOutput(); // a post-handshake message to send first; the loop's flush sends it
        return total;
      } catch (NeedsTaskException e) {
        runTask(e.getTask());
        return total;
      } catch (SSLException e) {
        throw raw.failed(
            TlsFailure.of(e, client, peerName, raw.firstBytes(), config.hasKeyMaterial()));
      } catch (ClosedChannelException e) {
        throw explained(e);
      } catch (IllegalStateException e) {
        throw new TlsFailure(
            dev.tether.GoAwayCode.PROTOCOL_ERROR,
            false,
            "bad TLS record from " + peerName + ": " + e.getMessage(),
            e);
      }
      if (n < 0) {
        return total > 0 ? total : -1;
      }
      total += n;
    } while (dst.remaining() >= RECORD_ROOM);
    inputMayBeBuffered = true;
    return total;
  }

  /**
   * Returns true if the last read stopped for want of room rather than of bytes: records may be
   * waiting inside the TLS layer, where the selector cannot see them.
   */
  boolean mayHaveBufferedInput() {
    return inputMayBeBuffered || mode == Mode.PLAINTEXT && raw.hasPrefix();
  }

  // ------------------------------------------------------------------ writing (any thread)

  /**
   * Encrypts and writes what the socket takes now; returns the plaintext bytes consumed. The last
   * record may remain in the TLS layer when the socket is full: {@link #hasPendingOutput()} then
   * says so, and {@link #flushPending()} writes it.
   *
   * @throws TlsFailure if the engine failed
   * @throws IOException if the socket failed, or the peer ended the TLS session for writing
   */
  @Override
  public int write(ByteBuffer src) throws IOException {
    if (mode == Mode.PLAINTEXT) {
      return raw.write(src);
    }
    int before = src.remaining();
    writeLock.lock();
    try {
      boolean pending = false;
      try {
        tls.write(src);
      } catch (NeedsWriteException | NeedsReadException e) {
        pending = true;
      } catch (NeedsTaskException e) {
        pending = true;
        runTaskFromAnyThread(e.getTask());
      } catch (SSLException e) {
        throw raw.failed(
            TlsFailure.of(e, client, peerName, raw.firstBytes(), config.hasKeyMaterial()));
      } catch (ClosedChannelException e) {
        throw explained(e);
      }
      pendingOutput = pending;
      int written = before - src.remaining();
      if (!pending && written == 0 && before > 0) {
        // the engine's output is closed: nothing more goes
        throw new IOException("the TLS session with " + peerName + " is closed for writing");
      }
      return written;
    } finally {
      writeLock.unlock();
    }
  }

  private void runTaskFromAnyThread(Runnable task) {
    if (loop.inLoop()) {
      runTask(task);
    } else {
      loop.execute(() -> runTask(task));
    }
  }

  private void markPendingOutput() {
    writeLock.lock();
    try {
      pendingOutput = true;
    } finally {
      writeLock.unlock();
    }
  }

  /** Returns true while encrypted bytes wait in the TLS layer for room in the socket. */
  boolean hasPendingOutput() {
    return pendingOutput;
  }

  /** Writes what waits in the TLS layer; returns true once nothing does. */
  boolean flushPending() throws IOException {
    writeLock.lock();
    try {
      if (!pendingOutput) {
        return true;
      }
      try {
        tls.write(EMPTY);
        pendingOutput = false;
      } catch (NeedsWriteException | NeedsReadException e) {
        return false;
      } catch (NeedsTaskException e) {
        runTaskFromAnyThread(e.getTask());
        return false;
      } catch (SSLException e) {
        throw raw.failed(
            TlsFailure.of(e, client, peerName, raw.firstBytes(), config.hasKeyMaterial()));
      } catch (ClosedChannelException e) {
        throw explained(e);
      }
      return true;
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Returns true if the negotiated protocol lets one direction end while the other goes on: TLS 1.3
   * does; in TLS 1.2 a close_notify ends both, as the JDK's engine answers it by closing its own
   * output.
   */
  boolean halfCloses() {
    return !"TLSv1.2".equals(protocol());
  }

  /**
   * The half-close: once everything is written, sends close_notify (TLS's end of this direction)
   * and returns true when it is on the socket; the caller then shuts the socket's output. Reading
   * goes on. Only where {@link #halfCloses()}. Loop thread.
   */
  boolean closeOutput() throws IOException {
    if (mode != Mode.ESTABLISHED) {
      return true;
    }
    writeLock.lock();
    try {
      if (pendingOutput && !flushPending()) {
        return false;
      }
      if (closeNotify == null) {
        // Sent beside tls-channel rather than through its shutdown(), after which it refuses to
        // read: the lossless close of PROTOCOL.md §9 reads on until the peer's GOAWAY.
        SSLEngine engine = tls.getSslEngine();
        engine.closeOutbound();
        closeNotify = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(EMPTY, closeNotify);
        closeNotify.flip();
      }
      socket.write(closeNotify);
      return !closeNotify.hasRemaining();
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Once the socket or the TLS engine failed, tls-channel answers every later call with a bare
   * {@link ClosedChannelException}. The first failure may have been met by another thread (a send
   * writing directly, which leaves it for the loop to find), so the loop would otherwise report the
   * connection lost for no reason it can name; this gives the first failure's.
   */
  private IOException explained(ClosedChannelException closed) {
    IOException first = raw.failure;
    if (first instanceof TlsFailure) {
      return first;
    }
    if (first != null) {
      return new IOException(Throwables.message(first), first);
    }
    return new IOException("the TLS session with " + peerName + " is closed", closed);
  }

  // ------------------------------------------------------------------ channel

  @Override
  public boolean isOpen() {
    return socket.isOpen();
  }

  /** Closes the socket, then gives the TLS layer's buffers back. */
  @Override
  public void close() {
    Channels.closeQuietly(socket);
    TlsChannel t = tls;
    if (t != null) {
      try {
        t.close(); // its close_notify attempt fails on the closed socket, silently
      } catch (IOException | RuntimeException e) {
        // closed anyway
      }
    }
  }

  /**
   * The socket as tls-channel sees it: first the bytes a server read to tell TLS from plaintext,
   * then the socket. On a client, the first bytes the server sends are recorded until TLS is up, to
   * recognise a server that does not speak TLS.
   */
  private static final class RawChannel implements ByteChannel {
    private static final ByteBuffer NOTHING = ByteBuffer.allocate(0);

    private final SocketChannel socket;
    private ByteBuffer prefix;
    private ByteBuffer recorded;

    /** The first failure of the socket or of the TLS engine, by whichever thread met it. */
    private volatile IOException failure;

    RawChannel(SocketChannel socket, boolean record) {
      this.socket = socket;
      this.recorded = record ? ByteBuffer.allocate(RECORDED_BYTES) : NOTHING;
    }

    /** Keeps {@code e} if it is the first failure, and returns it. */
    IOException failed(IOException e) {
      if (failure == null) {
        failure = e;
      }
      return e;
    }

    void stopRecording() {
      recorded = NOTHING;
    }

    void prefix(ByteBuffer bytes) {
      this.prefix = bytes;
    }

    boolean hasPrefix() {
      return prefix != null && prefix.hasRemaining();
    }

    ByteBuffer firstBytes() {
      return recorded.duplicate().flip();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      int start = dst.position();
      int n;
      if (hasPrefix()) {
        n = Math.min(prefix.remaining(), dst.remaining());
        ByteBuffer slice = prefix.duplicate();
        slice.limit(slice.position() + n);
        dst.put(slice);
        prefix.position(prefix.position() + n);
      } else {
        try {
          n = socket.read(dst);
        } catch (IOException e) {
          throw failed(e);
        }
      }
      if (n > 0 && recorded.hasRemaining()) {
        ByteBuffer copy = dst.duplicate();
        copy.position(start).limit(start + Math.min(n, recorded.remaining()));
        recorded.put(copy);
      }
      return n;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      try {
        return socket.write(src);
      } catch (IOException e) {
        throw failed(e);
      }
    }

    @Override
    public boolean isOpen() {
      return socket.isOpen();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
