package dev.tether.internal.engine;

import dev.tether.Connection;
import dev.tether.ConnectionClosedException;
import dev.tether.ConnectionMetrics;
import dev.tether.GoAwayCode;
import dev.tether.HandshakeException;
import dev.tether.MessageTypes;
import dev.tether.PeerInfo;
import dev.tether.ReconnectPolicy;
import dev.tether.SendResult;
import dev.tether.TetherConfig;
import dev.tether.TetherException;
import dev.tether.TetherTimeoutException;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.internal.route.ResponseTypes;
import dev.tether.internal.wire.Handshake;
import dev.tether.internal.wire.ProtocolException;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection: the {@link Connection} the application holds, and the hub of the parts that do
 * the work — {@link SocketIo} (bytes), {@link FrameRouter} and {@link Handshaker} (what frames
 * mean), {@link OutboundBuffer} (the bounded queue every written frame passes through), {@link
 * Mailbox} (the serial delivery to handlers), {@link Requests} (outstanding requests), {@link
 * KeepAlive} (the connection's timer) and {@link AccessCheck} (whether the peer stays admitted).
 * The connection owns the {@link ConnectionState} and the graceful close of PROTOCOL.md §8, which
 * it drives from its event loop.
 *
 * <p>The application-facing methods are thread safe; everything else runs on the loop.
 */
final class RealConnection<O, I> implements Connection<O, I>, EventLoop.Handler {
  private static final Logger log = LoggerFactory.getLogger(RealConnection.class);

  private static final VarHandle MESSAGES_RECEIVED;
  private static final VarHandle ATTACHMENT;
  private static final VarHandle WRITABLE_WAITERS;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      MESSAGES_RECEIVED =
          lookup.findVarHandle(RealConnection.class, "messagesReceived", long.class);
      ATTACHMENT = lookup.findVarHandle(RealConnection.class, "attachment", Object.class);
      WRITABLE_WAITERS =
          lookup.findVarHandle(RealConnection.class, "writableWaiters", WritableWaiters.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * Told about the connection's handshake and end: the server's registry or the client's future.
   */
  interface Listener {
    void onOpen(RealConnection<?, ?> connection);

    void onHandshakeFailed(RealConnection<?, ?> connection, TetherException cause);

    void onClosed(RealConnection<?, ?> connection);

    /** Returns why a server cannot admit the connection now (e.g. a connection limit), or null. */
    default String admissionRefusal(RealConnection<?, ?> connection) {
      return null;
    }

    /** Returns the server's resumable sessions, or null where sessions are not resumed. */
    default SessionRegistry sessions() {
      return null;
    }

    /** The connection handed its socket over to a resumed session and is gone. */
    default void onHandedOver(RealConnection<?, ?> connection) {}
  }

  final EventLoop loop;
  final MessageTypes types;
  final TetherConfig config;
  final boolean client;
  final String peerName;
  final Listener listener;
  final List<String> codecNames;
  final String serverName;
  final SocketAddress remoteAddress;
  final Security security;
  private final Executor handlerExecutor;
  private final Executor decodeExecutor;

  /** Where the TLS engine's delegated tasks run: the runtime's pool, never a loop. */
  final Executor tlsTaskExecutor;

  final OutboundBuffer outbound;
  private volatile SocketIo io;
  final FrameRouter router;

  /** This connection's share of the runtime's memory for large received frames. */
  final ReceiveMemory.Account receiveMemory;

  final Mailbox mailbox;
  final Requests requests;
  final KeepAlive keepAlive;
  final Handshaker handshaker;
  final Sender sender;
  final Closer closer;
  final Resumption resumption;
  final AccessCheck access;

  private volatile ConnectionState state;
  private volatile Codec codec;
  private volatile PeerInfo peer;
  private boolean handshakeReported;
  private boolean dispatchWaitsForRoom;

  /** Written by the loop only, read by {@link #metrics} with an opaque load; see countReceived. */
  private long messagesReceived;

  /** The application's object; see {@link #attach}. */
  private volatile Object attachment;

  /** Those waiting in {@link #whenWritable}; made on first need. */
  private volatile WritableWaiters writableWaiters;

  RealConnection(
      EventLoop loop,
      SocketChannel channel,
      boolean client,
      MessageTypes types,
      TetherConfig config,
      List<String> codecNames,
      String serverName,
      Handlers<O, I> handlers,
      SocketAddress remoteAddress,
      Executor defaultExecutor,
      Listener listener,
      ReconnectPolicy reconnect,
      Security security) {
    this.loop = loop;
    this.types = types;
    this.config = config;
    this.client = client;
    this.codecNames = codecNames;
    this.serverName = serverName;
    this.remoteAddress = remoteAddress;
    this.security = security;
    this.peerName = Channels.describe(remoteAddress);
    this.listener = listener;
    Executor configured = config.handlerExecutor();
    boolean onLoop = configured == TetherConfig.EVENT_LOOP;
    boolean pool = configured == null || configured == TetherConfig.HANDLER_POOL;
    this.handlerExecutor = onLoop ? null : pool ? defaultExecutor : configured;
    this.decodeExecutor = onLoop ? defaultExecutor : handlerExecutor;
    this.closer = new Closer(this);
    this.sender = new Sender(this);
    this.outbound = new OutboundBuffer(config.maxQueuedOutboundBytes(), closer, loop.sendMemory());
    this.tlsTaskExecutor = defaultExecutor;
    this.receiveMemory = loop.receiveMemory().account(this::resumeReadingSoon);
    this.io = new SocketIo(this, channel, true);
    this.handshaker = new Handshaker(this);
    this.router = new FrameRouter(this, handshaker);
    this.mailbox =
        new Mailbox(
            this,
            handlers,
            handlerExecutor,
            defaultExecutor,
            configured == null && loop.canRunHandlers());
    this.requests =
        new Requests(loop, onLoop ? Runnable::run : handlerExecutor, peerName, reconnect != null);
    this.keepAlive = new KeepAlive(this);
    this.resumption = new Resumption(this, reconnect, listener.sessions());
    this.access = new AccessCheck(this, security.authorizer(), decodeExecutor);
  }

  // ------------------------------------------------------------------ life cycle (loop)

  /** Registers the channel; for a client, {@code connecting} says the connect is in progress. */
  void register(boolean connecting) throws IOException {
    state = connecting ? ConnectionState.CONNECTING : ConnectionState.HANDSHAKING;
    io.register(connecting);
    keepAlive.start(connecting);
    if (client && !connecting) {
      handshaker.sendHello();
      io.flush();
    }
  }

  ConnectionState state() {
    return state;
  }

  /** The socket of the moment; a resumed session gets a new one. */
  SocketIo io() {
    return io;
  }

  Codec codec() {
    return codec;
  }

  /** The peer's frame limit, as the session's frames are made for it; once open. */
  int peerMaxFrameBytes() {
    return outbound.encoding().peerMaxFrameBytes();
  }

  void moveTo(ConnectionState next) {
    ConnectionState current = state;
    if (!current.canMoveTo(next)) {
      throw new IllegalStateException(
          "connection with " + peerName + " cannot go from " + current + " to " + next);
    }
    state = next;
    writableAgain(); // a stage waiting to be writable fails once the session is no longer open
  }

  @Override
  public void onReady(SelectionKey key) {
    if (state == ConnectionState.CLOSED || !key.isValid() || key != io.key()) {
      return; // a socket this connection has left behind
    }
    doIo(key.readyOps());
  }

  /**
   * Does the I/O that {@code ready} (selection-key ops) allows; also called from the loop when TLS
   * holds records the selector cannot see, or after a TLS task. Loop thread.
   */
  void doIo(int ready) {
    if (state == ConnectionState.CLOSED) {
      return;
    }
    try {
      if ((ready & SelectionKey.OP_CONNECT) != 0) {
        if (io.finishConnect()) {
          if (state == ConnectionState.CONNECTING) {
            moveTo(ConnectionState.HANDSHAKING);
          }
          keepAlive.startHandshake();
          handshaker.sendHello();
          io.flush();
        }
        return;
      }
      if ((ready & SelectionKey.OP_WRITE) != 0) {
        io.flush();
      }
      if ((ready & SelectionKey.OP_READ) != 0 && state != ConnectionState.CLOSED) {
        io.read();
      }
    } catch (ProtocolException e) {
      closer.onProtocolError(e);
    } catch (IOException e) {
      closer.connectionLost(
          (state == ConnectionState.CONNECTING ? "cannot connect to " : "connection with ")
              + peerName
              + ": "
              + e.getMessage(),
          e);
    } finally {
      resumption.afterReads();
      mailbox.dispatchOffered();
    }
  }

  /**
   * Anything unexpected on this connection's path through the loop (a bug, a codec throwing what it
   * should not, an {@link Error}) closes this connection alone; the stream cannot be trusted after
   * a failure mid-frame, so nothing more is decoded.
   */
  @Override
  public void onFailure(Throwable failure) {
    if (state != ConnectionState.CLOSED) {
      closer.fail(GoAwayCode.INTERNAL_ERROR, "internal error: " + Throwables.text(failure));
    }
    log.error(
        "internal error on connection with {}; closing it", peerName, Throwables.loggable(failure));
  }

  @Override
  public void onLoopStopped() {
    closer.abort("the runtime was closed");
  }

  /** The handshake completed; called by the {@link Handshaker}. */
  void opened(Handshake peerHandshake, String codecName, Codec codec) {
    int peerMax = (int) Math.min(Integer.MAX_VALUE, peerHandshake.maxFrameSize());
    this.peer =
        new PeerInfo(
            peerHandshake.nodeId(),
            remoteAddress,
            peerHandshake.appProtocol(),
            codecName,
            client ? peerHandshake.serverName() : serverName,
            peerMax,
            asDuration(peerHandshake.heartbeatMillis(), config.heartbeatInterval()),
            asDuration(peerHandshake.idleTimeoutMillis(), config.idleTimeout()),
            io.tlsProtocol(),
            io.peerCertificates());
    this.codec = codec;
    outbound.encoding(new Encoding(codec, peerMax));
    io.decoder.maxFrameLength(config.maxFrameBytes());
    moveTo(ConnectionState.OPEN);
    outbound.socketOpen(true);
    keepAlive.opened(heartbeatFor(peerHandshake));
    resumption.socketOpened();
    if (resumption.reconnector() != null) {
      resumption.reconnector().address(remoteAddress);
    }
    listener.onOpen(
        this); // first, so that the connection handler finds it in its server's registry
    access.opened(peer.certificates());
    mailbox.offerEvent(Mailbox.Event.CONNECTED);
    io.flush();
  }

  /**
   * The heartbeat for a peer that announced {@code handshake}: ours, or a third of its idle
   * timeout.
   */
  private long heartbeatFor(Handshake handshake) {
    return HandshakeJudge.heartbeatMillis(
        config.heartbeatInterval().toMillis(), handshake.idleTimeoutMillis());
  }

  /**
   * A client's new socket completed its handshake: the session resumed, or (lost) a new one began,
   * possibly with another codec; called by the {@link Handshaker}.
   */
  void reopened(Handshake welcome, String codecName, Codec codec) throws ProtocolException {
    // first, before anything queued is dropped or kept, so that what a sender frames from here on
    // (or framed and has yet to queue) is made for this server
    Encoding before = outbound.encoding();
    int peerMax = (int) Math.min(Integer.MAX_VALUE, welcome.maxFrameSize());
    if (!before.codec().name().equals(codecName) || before.peerMaxFrameBytes() != peerMax) {
      outbound.encoding(new Encoding(codec, peerMax));
    }
    boolean resumed = resumption.onWelcome(welcome, before);
    if (!resumed) {
      this.codec = codec;
      this.peer =
          new PeerInfo(
              welcome.nodeId(),
              remoteAddress,
              welcome.appProtocol(),
              codecName,
              welcome.serverName(),
              (int) Math.min(Integer.MAX_VALUE, welcome.maxFrameSize()),
              asDuration(welcome.heartbeatMillis(), config.heartbeatInterval()),
              asDuration(welcome.idleTimeoutMillis(), config.idleTimeout()),
              io.tlsProtocol(),
              io.peerCertificates());
    }
    access.opened(io.peerCertificates()); // the new socket's certificates are the ones to watch
    io.decoder.maxFrameLength(config.maxFrameBytes());
    moveTo(ConnectionState.OPEN);
    outbound.socketOpen(true);
    keepAlive.resumed(heartbeatFor(welcome));
    resumption.socketOpened();
    if (resumed) {
      mailbox.offerEvent(SessionEvent.resumed(resumption.reconnector().attempts()));
    }
    closer.onReopened();
    io.flush();
  }

  /**
   * Lets this server connection's socket go to the session it resumes: this connection, which has
   * only read a HELLO, is gone without a word. Returns the socket, with its key and its TLS, for
   * the session to take over. Loop thread.
   */
  SocketIo retire() {
    keepAlive.stop();
    access.stop();
    moveTo(ConnectionState.CLOSED);
    io.release();
    listener.onHandedOver(this);
    return io;
  }

  /**
   * Gives this connection a new socket (a session resuming); loop thread. A server takes over the
   * socket of the connection that read the HELLO ({@code next} was made from it); a client
   * registers its new socket.
   */
  void attachSocket(SocketIo next, boolean connecting, boolean takeOver) throws IOException {
    next.carryCounts(io); // the connection's byte counters go on across its sockets
    this.io = next;
    router.releaseAdmitted(); // the previous socket's frame, cut short
    receiveMemory.dropGrant(); // or the one it waited to read
    if (takeOver) {
      next.takeOver();
    } else {
      next.register(connecting);
    }
    if (client) {
      keepAlive.startResuming(connecting);
      if (!connecting) {
        handshaker.sendHello();
        next.flush();
      }
    }
  }

  /** The peer refused the handshake with GOAWAY. */
  void refusedByPeer(HandshakeException cause) {
    closer.refusedByPeer(cause);
  }

  void reportHandshakeFailure(TetherException cause) {
    if (peer == null && !handshakeReported) {
      handshakeReported = true;
      listener.onHandshakeFailed(this, cause);
    }
  }

  void connectTimedOut() {
    String why =
        "connect to "
            + peerName
            + " timed out after "
            + Deadlines.millis(config.connectTimeout())
            + " ms";
    connectFailed(new TetherTimeoutException(why));
  }

  /**
   * The connect itself failed (it timed out, was refused, the host is unreachable): no handshake
   * failed and no peer spoke, so {@code connect()} fails with {@code failure} as it is, and the
   * connection closes locally. Loop thread.
   */
  void connectFailed(TetherException failure) {
    reportHandshakeFailure(failure);
    closer.closeNow(
        new ConnectionClosedException(
            GoAwayCode.UNKNOWN, -1, failure.getMessage(), false, failure.getCause()));
  }

  void handshakeTimedOut() {
    String within =
        " within the handshake timeout of " + Deadlines.millis(config.handshakeTimeout()) + " ms";
    closer.fail(
        GoAwayCode.HANDSHAKE_TIMEOUT,
        io().tlsPending()
            // not a word of Tether has passed yet: the peer (or the route) is stuck in TLS
            ? "the TLS handshake with " + peerName + " did not complete" + within
            : (client ? "no WELCOME from " : "no complete HELLO from ") + peerName + within);
  }

  // ------------------------------------------------------------------ sending (any thread)

  @Override
  public void send(O message) {
    sender.send(message);
  }

  @Override
  public void send(O message, Duration timeout) {
    sender.send(message, timeout);
  }

  @Override
  public void sendAll(Iterable<? extends O> messages) {
    sender.sendAll(messages);
  }

  @Override
  public SendResult trySend(O message) {
    return sender.trySend(message);
  }

  @Override
  public CompletionStage<Void> sendAsync(O message) {
    return sender.sendAsync(message);
  }

  @Override
  public CompletableFuture<I> request(O message) {
    return request(message, config.requestTimeout());
  }

  @Override
  @SuppressWarnings("unchecked")
  public CompletableFuture<I> request(O message, Duration timeout) {
    return (CompletableFuture<I>) sender.request(message, timeout);
  }

  /**
   * Checks the response's class where the response arrives, so that a thread waiting on the typed
   * future still wakes straight from the loop; dependents run on the handler executor as usual.
   */
  @Override
  public <R extends I> CompletableFuture<R> request(
      O message, Class<R> responseType, Duration timeout) {
    Objects.requireNonNull(responseType, "responseType");
    ResponseFuture<Object> response =
        (ResponseFuture<Object>)
            sender.request(message, timeout == null ? config.requestTimeout() : timeout);
    // giving up on the typed future gives up on the request
    ResponseFuture<R> typed =
        new ResponseFuture.Watched<>(callbackExecutor()) {
          @Override
          void onCompleted() {
            if (!response.isDone()) {
              response.cancel(false);
            }
          }
        };
    response.whenCompleteInline(
        (value, failure) -> {
          if (failure != null) {
            typed.completeExceptionally(failure);
            return;
          }
          try {
            typed.complete(ResponseTypes.cast(value, responseType, message, this));
          } catch (TetherException e) {
            typed.completeExceptionally(e);
          }
        });
    return typed;
  }

  /** Where response futures run their dependents: the handler executor, or inline on the loop. */
  Executor callbackExecutor() {
    return handlerExecutor != null ? handlerExecutor : Runnable::run;
  }

  /**
   * Returns false once the frames not yet written are over the outbound bound; reading then pauses.
   * Frames kept for replay do not count here ({@link OutboundBuffer#queuedUnderBound}).
   */
  boolean outboundUnderBound() {
    return outbound.queuedUnderBound();
  }

  /**
   * Counts a message frame read, for metrics and for the session's acknowledgements; loop thread.
   * An opaque store: a volatile one put a full fence on the receive path for every message, for a
   * figure only metrics read.
   */
  void countReceived() {
    MESSAGES_RECEIVED.setOpaque(this, messagesReceived + 1);
    resumption.receivedMessage();
  }

  /** Returns true while reading may go on: room in the inbound queues and under the bound out. */
  boolean canRead() {
    return !mailbox.isFull() && outboundUnderBound();
  }

  // ------------------------------------------------------------------ receiving

  /**
   * Decodes a payload of a registered type; any failure becomes a {@link CodecException}, and so
   * does a codec's null or an object of another class than the entry's (PROTOCOL.md decision (kk)).
   */
  Object decode(MessageTypes.Entry entry, ByteBuffer payload) {
    Codec c = codec;
    Object value;
    try {
      value = c.decode(entry.type(), payload);
    } catch (CodecException e) {
      throw e;
    } catch (RuntimeException | StackOverflowError e) {
      throw new CodecException(
          "codec " + c.name() + " failed to decode " + entry.name() + ": " + Throwables.text(e), e);
    }
    if (!entry.type().isInstance(value)) {
      throw new CodecException(
          "codec "
              + c.name()
              + (value == null
                  ? " returned null"
                  : " returned a "
                      + value.getClass().getName()
                      + ", not a "
                      + entry.type().getName())
              + " when decoding "
              + entry.name());
    }
    return value;
  }

  Object decode(int typeId, ByteBuffer payload) {
    MessageTypes.Entry entry = types.entryFor(typeId);
    if (entry == null) {
      throw new CodecException("type id " + typeId + " is not registered");
    }
    return decode(entry, payload);
  }

  String codecName() {
    Codec c = codec;
    return c == null ? "(none)" : c.name();
  }

  Executor decodeExecutor() {
    return decodeExecutor;
  }

  @Override
  @SuppressWarnings("unchecked")
  public I receive(Duration timeout) throws InterruptedException {
    if (!mailbox.receiveMode()) {
      throw new IllegalStateException(
          "this connection delivers to its MessageHandler; receive() is for connections without"
              + " one");
    }
    Object item = mailbox.receive(Deadlines.nanos(timeout));
    if (item != null) {
      return (I) item;
    }
    if (mailbox.drained()) {
      throw closer.closedException();
    }
    return null;
  }

  /** Resumes reading once the inbound queue has room; any thread. */
  void resumeReadingSoon() {
    loop.execute(this::resumeReading);
  }

  /** Resumes reading if it was paused and there is room both ways now. Loop thread. */
  void resumeReading() {
    if (state == ConnectionState.CLOSED) {
      return;
    }
    try {
      io.tryResume();
    } catch (ProtocolException e) {
      closer.onProtocolError(e);
    } finally {
      mailbox.dispatchOffered();
    }
  }

  /** Lets reading go on after the handshake held it for an authorizer. Loop thread. */
  void releaseReading() {
    io.endHold();
    resumeReading();
  }

  /** The dispatcher on the loop stopped because the outbound queue is full. Loop thread. */
  void dispatchWhenWritable() {
    dispatchWaitsForRoom = true;
  }

  /** The outbound queue went under its bound. Loop thread. */
  void onWritable() {
    if (dispatchWaitsForRoom) {
      dispatchWaitsForRoom = false;
      mailbox.schedule();
    }
    resumeReading();
  }

  @SuppressWarnings("unchecked")
  Connection<Object, Object> self() {
    return (Connection<Object, Object>) (Connection<?, ?>) this;
  }

  // ------------------------------------------------------------------ closing

  @Override
  public CompletionStage<ConnectionClosedException> closeAsync() {
    return closer.closeAsync();
  }

  @Override
  public void close() {
    closer.close();
  }

  @Override
  public CompletionStage<ConnectionClosedException> onClose() {
    return closer.onClose();
  }

  boolean sendsRefused() {
    return closer.sendsRefused();
  }

  // ------------------------------------------------------------------ state and metrics

  @Override
  public Object attach(Object attachment) {
    return ATTACHMENT.getAndSet(this, attachment);
  }

  @Override
  public Object attachment() {
    return attachment;
  }

  @Override
  public PeerInfo peer() {
    return peer;
  }

  @Override
  public SocketAddress localAddress() {
    try {
      return io.channel.getLocalAddress();
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public ConnectionMetrics metrics() {
    return new ConnectionMetrics(
        outbound.acceptedMessages(),
        (long) MESSAGES_RECEIVED.getOpaque(this),
        io.bytesSent.sum(),
        io.bytesReceived,
        outbound.size(),
        mailbox.queuedMessages(),
        requests.size(),
        Duration.ofNanos(keepAlive.rttNanos()),
        keepAlive.pongs());
  }

  @Override
  public boolean isOpen() {
    return state.isSessionOpen() && !closer.sendsRefused();
  }

  @Override
  public boolean isWritable() {
    return isOpen() && outbound.isWritable();
  }

  /**
   * Returns {@code millis}, a peer's setting, as a Duration: {@code ours} if it is the same (as
   * often as not, both sides have the defaults), so that a connection holds no Durations of its
   * own.
   */
  private static Duration asDuration(long millis, Duration ours) {
    return millis >= 0
            && ours.getSeconds() == millis / 1000
            && ours.getNano() == (int) (millis % 1000) * 1_000_000
        ? ours
        : Duration.ofMillis(millis);
  }

  @Override
  public CompletionStage<Void> whenWritable() {
    ResponseFuture<Void> stage = new ResponseFuture<>(callbackExecutor());
    if (isWritable()) {
      stage.complete(null);
      return stage;
    }
    writableWaiters().add(stage); // which looks at once, on the loop: it may be writable by now
    return stage;
  }

  private WritableWaiters writableWaiters() {
    WritableWaiters w = writableWaiters;
    if (w == null) {
      WritableWaiters made = new WritableWaiters(this);
      w = (WritableWaiters) WRITABLE_WAITERS.compareAndExchange(this, null, made);
      if (w == null) {
        w = made;
      }
    }
    return w;
  }

  /**
   * The outbound buffer may have turned writable, or the connection stopped being open: looks on
   * the loop if anyone waits for it.
   */
  void writableAgain() {
    WritableWaiters w = writableWaiters;
    if (w != null) {
      w.lookSoon();
    }
  }

  @Override
  public String toString() {
    return (client ? "client" : "server") + " connection with " + peerName;
  }
}
