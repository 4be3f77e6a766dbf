package dev.tether.internal.engine;

import dev.tether.Connection;
import dev.tether.ConnectionClosedException;
import dev.tether.ConnectionMetrics;
import dev.tether.GoAwayCode;
import dev.tether.HandshakeException;
import dev.tether.MessageTypes;
import dev.tether.PeerInfo;
import dev.tether.RequestErrorCode;
import dev.tether.SendResult;
import dev.tether.TetherConfig;
import dev.tether.TetherException;
import dev.tether.TetherTimeoutException;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.internal.wire.FrameType;
import dev.tether.internal.wire.Frames;
import dev.tether.internal.wire.GoAway;
import dev.tether.internal.wire.Handshake;
import dev.tether.internal.wire.ProtocolException;
import dev.tether.internal.wire.WireStrings;
import java.io.IOException;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
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
  private final long sendTimeoutNanos;

  final OutboundBuffer outbound;
  final SocketIo io;
  final FrameRouter router;
  final Mailbox mailbox;
  final Requests requests;
  final KeepAlive keepAlive;
  final AccessCheck access;
  private final Handshaker handshaker;

  private volatile ConnectionState state;
  private volatile Codec codec;
  private volatile PeerInfo peer;
  private volatile int peerMaxFrameBytes;
  private volatile ConnectionClosedException closeCause;
  private volatile boolean sendsRefused;
  private volatile boolean peerGoAway;
  private final AtomicBoolean closeCalled = new AtomicBoolean();
  private final CompletableFuture<ConnectionClosedException> closeFuture =
      new CompletableFuture<>();

  // loop-only facts of the close
  private GoAwayCode goAwayCode = GoAwayCode.NORMAL;
  private String goAwayReason = "";
  private boolean eof;
  private boolean cutReached;
  private boolean failed;
  private boolean handshakeReported;
  private boolean dispatchWaitsForRoom;

  final LongAdder messagesSent = new LongAdder();
  volatile long messagesReceived;

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
    this.sendTimeoutNanos = Deadlines.nanos(config.sendTimeout());
    Executor configured = config.handlerExecutor();
    boolean onLoop = configured == TetherConfig.EVENT_LOOP;
    this.handlerExecutor = onLoop ? null : configured != null ? configured : defaultExecutor;
    this.decodeExecutor = onLoop ? defaultExecutor : handlerExecutor;
    this.outbound = new OutboundBuffer(config.maxQueuedOutboundBytes(), this::closedException);
    this.io = new SocketIo(this, channel, security.tls(), defaultExecutor);
    this.handshaker = new Handshaker(this);
    this.router = new FrameRouter(this, handshaker);
    this.mailbox = new Mailbox(this, handlers, handlerExecutor);
    this.requests = new Requests(loop, onLoop ? Runnable::run : handlerExecutor, peerName);
    this.keepAlive = new KeepAlive(this);
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

  private void moveTo(ConnectionState next) {
    ConnectionState current = state;
    if (!current.canMoveTo(next)) {
      throw new IllegalStateException(
          "connection with " + peerName + " cannot go from " + current + " to " + next);
    }
    state = next;
  }

  @Override
  public void onReady(SelectionKey key) {
    if (state == ConnectionState.CLOSED || !key.isValid()) {
      return;
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
          moveTo(ConnectionState.HANDSHAKING);
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
      onProtocolError(e);
    } catch (IOException e) {
      connectionLost(
          (state == ConnectionState.CONNECTING ? "cannot connect to " : "connection with ")
              + peerName
              + ": "
              + e.getMessage(),
          e);
    } finally {
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
    log.error("internal error on connection with {}; closing it", peerName, failure);
    if (state != ConnectionState.CLOSED) {
      fail(GoAwayCode.INTERNAL_ERROR, "internal error: " + failure);
    }
  }

  @Override
  public void onLoopStopped() {
    abort("the runtime was closed");
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
            Duration.ofMillis(peerHandshake.heartbeatMillis()),
            Duration.ofMillis(peerHandshake.idleTimeoutMillis()),
            io.tlsProtocol(),
            io.peerCertificates());
    this.codec = codec;
    this.peerMaxFrameBytes = peerMax;
    io.decoder.maxFrameLength(config.maxFrameBytes());
    moveTo(ConnectionState.OPEN);
    keepAlive.opened(
        HandshakeJudge.heartbeatMillis(
            config.heartbeatInterval().toMillis(), peerHandshake.idleTimeoutMillis()));
    access.opened(peer.certificates());
    mailbox.offerEvent(Mailbox.Event.CONNECTED);
    listener.onOpen(this);
    io.flush();
  }

  /** The peer refused the handshake with GOAWAY. */
  void refusedByPeer(HandshakeException cause) {
    peerGoAway = true;
    reportHandshakeFailure(cause);
    closeNow(cause);
  }

  private void reportHandshakeFailure(TetherException cause) {
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
    reportHandshakeFailure(new TetherTimeoutException(why));
    closeNow(new ConnectionClosedException(GoAwayCode.UNKNOWN, -1, why, false, null));
  }

  void handshakeTimedOut() {
    fail(
        GoAwayCode.HANDSHAKE_TIMEOUT,
        (client ? "no WELCOME from " : "no complete HELLO from ")
            + peerName
            + " within the handshake timeout of "
            + Deadlines.millis(config.handshakeTimeout())
            + " ms");
  }

  // ------------------------------------------------------------------ sending (any thread)

  @Override
  public void send(O message) {
    sendOrThrow(message, sendTimeoutNanos);
  }

  @Override
  public void send(O message, Duration timeout) {
    sendOrThrow(message, Deadlines.nanos(Objects.requireNonNull(timeout, "timeout")));
  }

  private void sendOrThrow(Object message, long waitNanos) {
    boolean onLoop = EventLoop.onAnyLoop();
    Mode mode = onLoop ? Mode.LOOP : Mode.WAIT;
    SendResult result = enqueue(FrameType.DATA, 0, message, mode, waitNanos, false);
    if (result == SendResult.CLOSED) {
      throw closedException();
    }
    if (result == SendResult.BACK_PRESSURED) {
      throw backPressure(onLoop ? 0 : waitNanos);
    }
  }

  @Override
  public SendResult trySend(O message) {
    return enqueue(FrameType.DATA, 0, message, Mode.NO_WAIT, 0, false);
  }

  @Override
  public CompletionStage<Void> sendAsync(O message) {
    Objects.requireNonNull(message, "message");
    ResponseFuture<Void> accepted = new ResponseFuture<>(requestsExecutor());
    if (!sendAllowed()) {
      accepted.completeExceptionally(closedException());
      return accepted;
    }
    MessageFramer frame;
    try {
      frame = frame(FrameType.DATA, 0, message);
    } catch (RuntimeException e) {
      accepted.completeExceptionally(e);
      return accepted;
    }
    int result = outbound.appendAsync(frame.array(), frame.length(), accepted);
    if (result == OutboundBuffer.CLOSED) {
      accepted.completeExceptionally(closedException());
    } else if (result == OutboundBuffer.BACK_PRESSURED) {
      accepted.completeExceptionally(
          new TetherTimeoutException(
              "sendAsync to "
                  + peerName
                  + " refused: the outbound queue and the sends waiting for it are full ("
                  + config.maxQueuedOutboundBytes()
                  + " bytes each); wait for earlier sendAsync stages before sending more"));
    } else {
      messagesSent.increment();
      keepAlive.sent(System.nanoTime());
      io.scheduleFlush();
    }
    return accepted;
  }

  @Override
  public CompletableFuture<I> request(O message) {
    return request(message, config.requestTimeout());
  }

  @Override
  @SuppressWarnings("unchecked")
  public CompletableFuture<I> request(O message, Duration timeout) {
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(timeout, "timeout");
    if (!sendAllowed()) {
      return (CompletableFuture<I>) failedRequest(closedException());
    }
    Requests.Pending pending = requests.register(message, Deadlines.nanos(timeout));
    boolean onLoop = EventLoop.onAnyLoop();
    SendResult result;
    try {
      result =
          enqueue(
              FrameType.REQUEST,
              pending.id,
              message,
              onLoop ? Mode.LOOP : Mode.WAIT,
              sendTimeoutNanos,
              false);
    } catch (RuntimeException e) {
      requests.abandon(pending);
      throw e;
    }
    if (result != SendResult.ACCEPTED) {
      requests.abandon(pending);
      pending.future.completeExceptionally(
          result == SendResult.CLOSED
              ? closedException()
              : backPressure(onLoop ? 0 : sendTimeoutNanos));
    }
    return (CompletableFuture<I>) (CompletableFuture<?>) pending.future;
  }

  private CompletableFuture<Object> failedRequest(RuntimeException cause) {
    ResponseFuture<Object> future = new ResponseFuture<>(requestsExecutor());
    future.completeExceptionally(cause);
    return future;
  }

  private Executor requestsExecutor() {
    return handlerExecutor != null ? handlerExecutor : Runnable::run;
  }

  /** The application may send while open; its handler also while finishing work in a close. */
  private boolean sendAllowed() {
    ConnectionState s = state;
    if (s == ConnectionState.OPEN) {
      return !sendsRefused || mailbox.isDispatchThread();
    }
    return s == ConnectionState.CLOSING && mailbox.isDispatchThread();
  }

  private MessageFramer frame(int type, long requestId, Object message) {
    return MessageFramer.get()
        .frame(type, requestId, message, types, codec, peerMaxFrameBytes, peerName);
  }

  /** Encodes a message into a frame on this thread and queues it (or writes it at once). */
  private SendResult enqueue(
      int type, long requestId, Object message, Mode mode, long waitNanos, boolean response) {
    Objects.requireNonNull(message, "message");
    if (!response && !sendAllowed()) {
      return SendResult.CLOSED;
    }
    MessageFramer frame = frame(type, requestId, message);
    long now = System.nanoTime();
    keepAlive.sent(now);
    if (mode != Mode.FORCE && io.tryWriteDirect(frame.asBuffer())) {
      messagesSent.increment();
      return SendResult.ACCEPTED;
    }
    int result;
    try {
      result = outbound.append(frame.array(), frame.length(), mode.buffer, waitNanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TetherException(
          "interrupted while waiting for room in the outbound queue to " + peerName, e);
    }
    if (result == OutboundBuffer.ACCEPTED) {
      messagesSent.increment();
      afterForcedAppend(mode);
      io.scheduleFlush();
      return SendResult.ACCEPTED;
    }
    return result == OutboundBuffer.CLOSED ? SendResult.CLOSED : SendResult.BACK_PRESSURED;
  }

  /** How a sender's thread treats the bound; see {@link OutboundBuffer.Mode}. */
  private enum Mode {
    WAIT(OutboundBuffer.Mode.WAIT),
    NO_WAIT(OutboundBuffer.Mode.NO_WAIT),
    LOOP(OutboundBuffer.Mode.LOOP),
    FORCE(OutboundBuffer.Mode.FORCE);

    final OutboundBuffer.Mode buffer;

    Mode(OutboundBuffer.Mode buffer) {
      this.buffer = buffer;
    }
  }

  private void afterForcedAppend(Mode mode) {
    if (mode == Mode.FORCE && !outboundUnderBound()) {
      if (loop.inLoop()) {
        io.pauseForOutbound();
      } else {
        loop.execute(io::pauseForOutbound);
      }
    }
  }

  /** Sends the handler's response to request {@code id}; may be called on any thread. */
  void respond(long id, Object response) {
    boolean onLoop = EventLoop.onAnyLoop();
    SendResult result =
        enqueue(
            FrameType.RESPONSE,
            id,
            response,
            onLoop ? Mode.FORCE : Mode.WAIT,
            sendTimeoutNanos,
            true);
    if (result == SendResult.CLOSED) {
      throw closedException();
    }
    if (result == SendResult.BACK_PRESSURED) {
      throw backPressure(sendTimeoutNanos);
    }
  }

  /** Sends RESPONSE ERROR for request {@code id}; may be called on any thread. */
  void respondError(long id, RequestErrorCode code, String text) {
    byte[] frame = errorFrame(id, code, text);
    boolean onLoop = EventLoop.onAnyLoop();
    Mode mode = onLoop ? Mode.FORCE : Mode.WAIT;
    int result;
    try {
      result = outbound.append(frame, frame.length, mode.buffer, sendTimeoutNanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    if (result == OutboundBuffer.ACCEPTED) {
      messagesSent.increment();
      afterForcedAppend(mode);
      io.scheduleFlush();
    } else {
      log.debug("{}: error response to request #{} not sent ({})", this, id, code);
    }
  }

  /**
   * Answers a request the loop could not deliver (unknown type, undecodable); returns false if
   * reading must pause (see {@link #appendOwed}). Loop thread.
   */
  boolean respondOwed(long id, RequestErrorCode code, String text) {
    return appendOwed(errorFrame(id, code, text));
  }

  private byte[] errorFrame(long id, RequestErrorCode code, String text) {
    int room = Math.max(0, Math.min(peerMaxFrameBytes, 64 * 1024) - 1 - 8 - 1 - 2);
    byte[] utf8 = WireStrings.truncatedUtf8(text, room);
    ByteBuffer frame = Frames.allocate(FrameType.RESPONSE, 8 + 1 + 2 + utf8.length);
    frame.putLong(id).put((byte) 1).putShort((short) code.code()).put(utf8);
    return frame.array();
  }

  /**
   * Queues a frame the transport owes the peer (handshake, PONG, error response) whatever the
   * bound. Returns false once the queue is over its bound: the caller, reading, then stops, so a
   * peer that does not read cannot make the queue grow. Loop thread.
   */
  boolean appendOwed(byte[] frame) {
    try {
      if (outbound.append(frame, frame.length, OutboundBuffer.Mode.FORCE, 0)
          == OutboundBuffer.ACCEPTED) {
        io.scheduleFlush();
      }
    } catch (InterruptedException e) {
      throw new IllegalStateException("FORCE appends never wait", e);
    }
    return outboundUnderBound();
  }

  boolean outboundUnderBound() {
    return outbound.size() < config.maxQueuedOutboundBytes();
  }

  /** Returns true while reading may go on: room in the inbound queues and under the bound out. */
  boolean canRead() {
    return !mailbox.isFull() && outboundUnderBound();
  }

  private TetherTimeoutException backPressure(long waitNanos) {
    String where =
        waitNanos == 0
            ? "; send was called on an event-loop thread, which never waits: use trySend or"
                + " sendAsync there, or run handlers on the handler executor"
            : "";
    return new TetherTimeoutException(
        "send to "
            + peerName
            + " timed out after "
            + TimeUnit.NANOSECONDS.toMillis(waitNanos)
            + " ms without progress: the outbound queue stayed full ("
            + outbound.size()
            + " bytes queued, limit "
            + config.maxQueuedOutboundBytes()
            + "); the peer or the network is slower than this sender"
            + where);
  }

  // ------------------------------------------------------------------ receiving

  /** Decodes a payload of a registered type; any failure becomes a {@link CodecException}. */
  Object decode(MessageTypes.Entry entry, ByteBuffer payload) {
    Codec c = codec;
    try {
      return c.decode(entry.type(), payload);
    } catch (CodecException e) {
      throw e;
    } catch (RuntimeException | StackOverflowError e) {
      throw new CodecException(
          "codec " + c.name() + " failed to decode " + entry.name() + ": " + e, e);
    }
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
      throw closedException();
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
      onProtocolError(e);
    } finally {
      mailbox.dispatchOffered();
    }
  }

  /** Lets reading go on after the handshake held it for an authorizer. Loop thread. */
  void releaseReading() {
    io.release();
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

  // ------------------------------------------------------------------ closing (loop)

  @Override
  public CompletionStage<ConnectionClosedException> closeAsync() {
    startClose();
    return onClose();
  }

  /** Starts the application's close; returns true if this call started it. */
  private boolean startClose() {
    if (!closeCalled.compareAndSet(false, true)) {
      return false;
    }
    sendsRefused = true;
    loop.execute(() -> beginClose(GoAwayCode.NORMAL, "closed by the application"));
    return true;
  }

  @Override
  public void close() {
    boolean wasOpen = state == ConnectionState.OPEN;
    boolean started = startClose() && wasOpen;
    if (mailbox.isDispatchThread() || EventLoop.onAnyLoop()) {
      return; // the close completes after this handler returns; waiting here would deadlock
    }
    ConnectionClosedException cause;
    try {
      cause =
          closeFuture.get(Deadlines.millis(config.drainTimeout()) + 1000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.warn("close of connection with {} did not finish within the drain timeout", peerName);
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("the close future never fails", e);
    }
    if (started && !cause.isGraceful()) {
      throw cause;
    }
  }

  /** Closes for a server that is shutting down. Any thread. */
  void shutdown() {
    sendsRefused = true;
    loop.execute(() -> beginClose(GoAwayCode.SHUTTING_DOWN, "the server is shutting down"));
  }

  /**
   * Begins a graceful close by this side: the handler finishes what was received before it, then
   * this side writes its GOAWAY (PROTOCOL.md §8).
   */
  void beginClose(GoAwayCode code, String reason) {
    switch (state) {
      case CONNECTING -> {
        ConnectionClosedException cause = new ConnectionClosedException(code, reason, false);
        reportHandshakeFailure(
            new TetherException("connection closed while connecting: " + reason));
        closeNow(cause);
      }
      case HANDSHAKING -> {
        closeCause = new ConnectionClosedException(code, reason, false);
        reportHandshakeFailure(new HandshakeException(code, reason, false));
        sendGoAway(code, reason);
      }
      case OPEN -> {
        closeCause = new ConnectionClosedException(code, reason, false);
        goAwayCode = code;
        goAwayReason = reason;
        moveTo(ConnectionState.CLOSING);
        keepAlive.startDrain();
        mailbox.offerEvent(Mailbox.Event.LOCAL_CUT);
      }
      default -> {
        // closing already
      }
    }
  }

  /** The peer's GOAWAY: deliver what preceded it, answer with ours, then close. */
  void onPeerGoAway(GoAway goAway) {
    peerGoAway = true;
    io.stopReading();
    ConnectionClosedException cause =
        new ConnectionClosedException(
            goAway.knownCode(), goAway.code(), goAway.reason(), true, null);
    if (closeCause == null) {
      closeCause = cause;
    }
    log.debug("{} sent GOAWAY {}: {}", peerName, goAway.code(), goAway.reason());
    requests.failAll(
        id ->
            new ConnectionClosedException(
                cause.code(),
                cause.rawCode(),
                peerName
                    + " closed the connection before answering request #"
                    + id
                    + ": "
                    + cause.reason(),
                true,
                null));
    switch (state) {
      case OPEN -> {
        goAwayCode = GoAwayCode.NORMAL;
        goAwayReason = "answering the peer's GOAWAY";
        moveTo(ConnectionState.CLOSING);
        keepAlive.startDrain();
        mailbox.offerEvent(Mailbox.Event.PEER_GOAWAY);
      }
      case GOAWAY_SENT -> maybeFinish();
      default -> {
        // CLOSING: our own cut is on its way through the mailbox
      }
    }
  }

  boolean peerGoAwayReceived() {
    return peerGoAway;
  }

  /** The handler has finished what was received before the close (the mailbox's marker). */
  void onCutReached() {
    if (state == ConnectionState.CLOSING) {
      cutReached = true;
      onRequestsIdle();
    }
  }

  /** Sends this side's GOAWAY once the cut is reached and no request is being answered. */
  void onRequestsIdle() {
    if (state == ConnectionState.CLOSING && cutReached && mailbox.gate.closeIfIdle()) {
      sendGoAway(goAwayCode, goAwayReason);
    }
  }

  /** Returns true once a close has begun; a finished request then looks for the cut. */
  boolean closeStarted() {
    return state.isClosing();
  }

  private void sendGoAway(GoAwayCode code, String reason) {
    if (state == ConnectionState.HANDSHAKING) {
      handshaker.sendServerPreamble();
    }
    mailbox.gate.close();
    outbound.appendFinal(GoAway.encodeFrame(code, reason));
    moveTo(ConnectionState.GOAWAY_SENT);
    keepAlive.startDrain();
    io.flush();
  }

  /** The GOAWAY and everything before it are written and the output is shut. */
  void onOutputShut() {
    maybeFinish();
  }

  void onEndOfStream() {
    eof = true;
    if (peerGoAway || state == ConnectionState.GOAWAY_SENT) {
      maybeFinish();
      return;
    }
    String why =
        state == ConnectionState.HANDSHAKING
            ? "peer " + peerName + " closed the connection during the handshake"
            : "peer " + peerName + " closed the connection without GOAWAY";
    ConnectionClosedException cause =
        state == ConnectionState.HANDSHAKING
            ? new HandshakeException(GoAwayCode.UNKNOWN, -1, why, true, null)
            : new ConnectionClosedException(GoAwayCode.UNKNOWN, -1, why, true, null);
    reportHandshakeFailure(cause);
    failed = true;
    closeNow(closeCause != null ? amended(closeCause, why) : cause);
  }

  private void maybeFinish() {
    if (state == ConnectionState.GOAWAY_SENT && io.isOutputShut() && (peerGoAway || eof)) {
      closeNow(closeCause);
    }
  }

  /**
   * Closes because something is wrong (protocol error, idle timeout, failing handler): stops
   * delivering and decoding, fails outstanding requests, writes what is queued and GOAWAY(code),
   * and waits, up to the drain deadline, for the peer to finish.
   */
  void fail(GoAwayCode code, String reason) {
    if (state == ConnectionState.CLOSED || failed) {
      return;
    }
    failed = true;
    boolean opened = peer != null;
    log.warn("closing connection with {}: {} ({})", peerName, reason, code);
    ConnectionClosedException cause =
        opened
            ? new ConnectionClosedException(code, reason, false)
            : new HandshakeException(code, reason, false);
    reportHandshakeFailure(cause);
    closeCause = cause;
    requests.failAll(cause);
    int dropped = mailbox.discard();
    if (dropped > 0) {
      log.debug("{}: {} received messages dropped", this, dropped);
    }
    io.discardInput();
    if (state == ConnectionState.CONNECTING) {
      closeNow(cause);
    } else if (state != ConnectionState.GOAWAY_SENT) {
      sendGoAway(code, reason);
    } else {
      keepAlive.startDrain();
    }
  }

  private void onProtocolError(ProtocolException e) {
    if (e.isSilent()) {
      log.warn("closing connection from {}: {}", peerName, e.getMessage());
      ConnectionClosedException cause = new HandshakeException(e.code(), e.getMessage(), false);
      failed = true;
      reportHandshakeFailure(cause);
      closeNow(cause);
    } else {
      fail(e.code(), e.getMessage());
    }
  }

  /**
   * TLS failed: a certificate was refused, the peer does not speak TLS, or a record was bad.
   * Nothing can be sent the peer could read, so the connection closes at once.
   */
  void tlsFailed(TlsFailure e) {
    if (state == ConnectionState.CLOSED) {
      return;
    }
    ConnectionClosedException cause =
        peer != null
            ? new ConnectionClosedException(e.code(), -1, e.getMessage(), e.isRemote(), e)
            : new HandshakeException(e.code(), -1, e.getMessage(), e.isRemote(), e);
    reportHandshakeFailure(cause);
    failed = true;
    closeNow(closeCause != null ? amended(closeCause, e.getMessage()) : cause);
  }

  /** The socket failed under us. */
  void connectionLost(String why, IOException e) {
    if (state == ConnectionState.CLOSED) {
      return;
    }
    ConnectionClosedException cause =
        peer != null
            ? new ConnectionClosedException(GoAwayCode.UNKNOWN, -1, why, true, e)
            : new HandshakeException(GoAwayCode.UNKNOWN, -1, why, true, e);
    reportHandshakeFailure(cause);
    failed = true;
    closeNow(closeCause != null ? amended(closeCause, why) : cause);
  }

  /** The drain deadline passed before the close could finish. */
  void drainExpired() {
    String why =
        "drain deadline of "
            + Deadlines.millis(config.drainTimeout())
            + " ms passed"
            + (state == ConnectionState.CLOSING
                ? " while the handler was still finishing what it had received ("
                    + mailbox.gate.inProgress()
                    + " requests unanswered)"
                : peerGoAway || eof ? "" : " before the peer's GOAWAY");
    failed = true;
    closeNow(amended(closeCause, why));
  }

  /** Forces the socket closed, e.g. past a server's close deadline. Loop thread. */
  void abort(String why) {
    if (state == ConnectionState.CLOSED) {
      return;
    }
    failed = true;
    closeNow(
        closeCause != null
            ? amended(closeCause, why)
            : new ConnectionClosedException(GoAwayCode.UNKNOWN, -1, why, false, null));
  }

  /** Aborts from any thread. */
  void abortSoon(String why) {
    loop.execute(() -> abort(why));
  }

  private static ConnectionClosedException amended(ConnectionClosedException cause, String why) {
    if (cause == null) {
      return new ConnectionClosedException(GoAwayCode.UNKNOWN, -1, why, false, null);
    }
    return new ConnectionClosedException(
        cause.code(), cause.rawCode(), cause.reason() + "; " + why, cause.isRemote(), null);
  }

  /** Closes the socket at once and tells everyone; the end of every path. Loop thread. */
  private void closeNow(ConnectionClosedException cause) {
    if (state == ConnectionState.CLOSED) {
      return;
    }
    boolean graceful =
        !failed && state == ConnectionState.GOAWAY_SENT && io.isOutputShut() && (peerGoAway || eof);
    state = ConnectionState.CLOSED;
    keepAlive.stop();
    access.stop();
    io.close();
    int unsent = outbound.discard();
    ConnectionClosedException base = cause != null ? cause : closeCause;
    String reason = base.reason();
    if (unsent > 0) {
      reason += "; " + unsent + " accepted messages were never written to " + peerName;
    } else if (!graceful && peer != null && messagesSent.sum() > 0 && !base.isRemote()) {
      reason += "; " + peerName + " did not confirm the messages written before the close";
    }
    ConnectionClosedException last =
        base instanceof HandshakeException
            ? base
            : new ConnectionClosedException(
                base.code(),
                base.rawCode(),
                reason,
                base.isRemote(),
                base.getCause(),
                unsent,
                graceful);
    closeCause = last;
    log.debug("connection with {} closed: {}", peerName, last.getMessage());
    // each of these must happen even if another throws (a listener, or no class file to load
    // when the process is out of file descriptors)
    safely(() -> requests.failAll(last));
    safely(() -> reportHandshakeFailure(last));
    safely(() -> listener.onClosed(this));
    mailbox.offerEvent(Mailbox.Event.CLOSED);
  }

  private void safely(Runnable step) {
    try {
      step.run();
    } catch (Throwable t) {
      log.error("closing connection with {}: a step failed", peerName, t);
    }
  }

  ConnectionClosedException closeCause() {
    return closeCause;
  }

  /** Completes the close stage; called by the mailbox after the close handler. */
  void completeClose() {
    closeFuture.complete(closeCause);
  }

  /** Returns the exception for an operation refused because the connection is closing. */
  ConnectionClosedException closedException() {
    ConnectionClosedException cause = closeCause;
    if (cause == null) {
      return new ConnectionClosedException(
          GoAwayCode.NORMAL, "connection with " + peerName + " is closing", false);
    }
    return new ConnectionClosedException(
        cause.code(), cause.rawCode(), cause.reason(), cause.isRemote(), cause);
  }

  // ------------------------------------------------------------------ state and metrics

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
        messagesSent.sum(),
        messagesReceived,
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
    return state == ConnectionState.OPEN && !sendsRefused;
  }

  @Override
  public boolean isWritable() {
    return isOpen() && outbound.isWritable();
  }

  @Override
  public CompletionStage<ConnectionClosedException> onClose() {
    return closeFuture.minimalCompletionStage();
  }

  @Override
  public String toString() {
    return (client ? "client" : "server") + " connection with " + peerName;
  }
}
