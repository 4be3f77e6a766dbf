package dev.tether.internal.engine;

import dev.tether.Connection;
import dev.tether.ConnectionClosedException;
import dev.tether.GoAwayCode;
import dev.tether.MessageTooLargeException;
import dev.tether.MessageTypes;
import dev.tether.PeerInfo;
import dev.tether.RequestErrorCode;
import dev.tether.SendResult;
import dev.tether.TetherConfig;
import dev.tether.TetherException;
import dev.tether.TetherTimeoutException;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.EncodeBuffer;
import dev.tether.internal.wire.FrameType;
import dev.tether.internal.wire.Frames;
import dev.tether.internal.wire.Varint;
import dev.tether.internal.wire.WireStrings;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The application-facing half of a connection: encoding and queueing sends on the caller's thread,
 * request correlation, and delivery of received messages to the handler (serialised per connection)
 * or to {@link #receive}. The event-loop half is {@link RealConnection}.
 */
abstract class RealConnectionBase<O, I> implements Connection<O, I> {
  private static final Logger log = LoggerFactory.getLogger(RealConnectionBase.class);

  static final Object CONNECTED = new Object();
  private static final Object CLOSED = new Object();

  /** A request waiting for the handler. */
  private record InboundRequest(long id, Object message) {}

  /** Encode buffers up to this size stay with their thread; larger ones are dropped after use. */
  private static final int RETAINED_ENCODE_BYTES = 1024 * 1024;

  private static final ThreadLocal<EncodeBuffer> ENCODE_BUFFER =
      ThreadLocal.withInitial(() -> new EncodeBuffer(4096));

  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(EventLoopGroup.daemonThreads("tether-timer-"));

  /** Messages delivered in one go before the dispatcher yields its thread to other connections. */
  private static final int DISPATCH_BUDGET = 4096;

  final EventLoop loop;
  final MessageTypes types;
  final TetherConfig config;
  final Handlers<O, I> handlers;
  final SocketAddress remoteAddress;

  /** The peer's address as messages show it. */
  final String peerName;

  final OutboundBuffer outbound;
  final InboundQueue inbound;
  private final Executor executor;
  private final long sendTimeoutNanos;

  volatile Codec codec;
  volatile PeerInfo peer;
  volatile int peerMaxFrameBytes;
  volatile boolean open;
  volatile boolean goAwaySent;
  volatile ConnectionClosedException closeCause;
  private volatile boolean inboundFinished;
  private volatile Thread dispatchThread;

  final LongAdder messagesSent = new LongAdder();
  volatile long messagesReceived;
  volatile long bytesSent;
  volatile long bytesReceived;
  volatile long rttNanos;
  volatile long pings;

  final Map<Long, CompletableFuture<Object>> pendingRequests = new ConcurrentHashMap<>();
  private final AtomicLong nextRequestId = new AtomicLong();
  private final CompletableFuture<ConnectionClosedException> closeFuture =
      new CompletableFuture<>();

  private final AtomicBoolean flushScheduled = new AtomicBoolean();
  private final Runnable flushTask;
  private final AtomicBoolean dispatchScheduled = new AtomicBoolean();
  private final Runnable dispatchTask = this::dispatch;

  /** Items taken from the inbound queue in one go; only the dispatching thread touches it. */
  private final Object[] dispatchBatch = new Object[64];

  RealConnectionBase(
      EventLoop loop,
      MessageTypes types,
      TetherConfig config,
      Handlers<O, I> handlers,
      SocketAddress remoteAddress) {
    this.loop = loop;
    this.types = types;
    this.config = config;
    this.handlers = handlers;
    this.remoteAddress = remoteAddress;
    this.peerName = Channels.describe(remoteAddress);
    this.outbound = new OutboundBuffer(config.maxQueuedOutboundBytes());
    Runnable resume = this::resumeReading;
    this.inbound =
        new InboundQueue(
            config.maxQueuedInboundMessages(),
            config.maxQueuedInboundBytes(),
            () -> loop.execute(resume));
    this.executor =
        config.handlerExecutor() != null
            ? config.handlerExecutor()
            : EventLoopGroup.shared().handlerPool();
    this.sendTimeoutNanos = OutboundBuffer.nanos(config.sendTimeout());
    this.flushTask =
        () -> {
          flushScheduled.set(false);
          flush();
        };
  }

  /**
   * Writes a whole frame from the sender's thread, bypassing the loop, when that is safe and cheap;
   * returns false to queue it instead.
   */
  abstract boolean tryWriteDirect(byte[] frame, int length);

  /** Writes what is queued; loop thread only (elsewhere it schedules itself). */
  abstract void flush();

  /** Lifts a read pause once the inbound queue has room; loop thread only. */
  abstract void resumeReading();

  /** Starts a graceful close with GOAWAY(code) after what was accepted; any thread. */
  abstract void startClose(GoAwayCode code, String reason, boolean error);

  final void scheduleFlush() {
    if (flushScheduled.compareAndSet(false, true)) {
      loop.execute(flushTask);
    }
  }

  // ---------------------------------------------------------------- sending

  @Override
  public void send(O message) {
    sendOrThrow(message, sendTimeoutNanos);
  }

  @Override
  public void send(O message, Duration timeout) {
    sendOrThrow(message, OutboundBuffer.nanos(timeout));
  }

  private void sendOrThrow(O message, long waitNanos) {
    SendResult result = enqueue(FrameType.DATA, 0, message, waitNanos);
    if (result == SendResult.CLOSED) {
      throw closedException();
    }
    if (result == SendResult.BACK_PRESSURED) {
      throw backPressureTimeout(waitNanos);
    }
  }

  @Override
  public SendResult trySend(O message) {
    return enqueue(FrameType.DATA, 0, message, 0);
  }

  @Override
  public CompletableFuture<I> request(O message) {
    return request(message, config.requestTimeout());
  }

  @Override
  @SuppressWarnings("unchecked")
  public CompletableFuture<I> request(O message, Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    long id = nextRequestId.incrementAndGet();
    ResponseFuture<Object> future = new ResponseFuture<>(executor);
    pendingRequests.put(id, future);
    SendResult result;
    try {
      result = enqueue(FrameType.REQUEST, id, message, sendTimeoutNanos);
    } catch (RuntimeException e) {
      pendingRequests.remove(id);
      throw e;
    }
    if (result != SendResult.ACCEPTED) {
      pendingRequests.remove(id);
      future.completeExceptionally(
          result == SendResult.CLOSED ? closedException() : backPressureTimeout(sendTimeoutNanos));
    } else {
      String what = message.getClass().getSimpleName();
      ScheduledFuture<?> timer =
          TIMER.schedule(
              () -> {
                if (pendingRequests.remove(id, future)) {
                  future.completeExceptionally(
                      new TetherTimeoutException(
                          "no response to request #"
                              + id
                              + " ("
                              + what
                              + ") from "
                              + peerName
                              + " within "
                              + timeout.toMillis()
                              + " ms"));
                }
              },
              timeout.toNanos(),
              TimeUnit.NANOSECONDS);
      future.whenCompleteInline((r, e) -> timer.cancel(false));
    }
    return (CompletableFuture<I>) future;
  }

  /** Encodes a message into this thread's buffer, frames it, and queues the frame. */
  private SendResult enqueue(int type, long requestId, Object message, long waitNanos) {
    Objects.requireNonNull(message, "message");
    if (!open || goAwaySent) {
      return SendResult.CLOSED;
    }
    MessageTypes.Entry entry = types.entryFor(message.getClass());
    if (entry == null) {
      throw new IllegalArgumentException(
          message.getClass().getName() + " is not registered in " + types);
    }
    EncodeBuffer buffer = ENCODE_BUFFER.get();
    buffer.reset(RETAINED_ENCODE_BYTES);
    int header =
        Frames.HEADER_BYTES
            + (type == FrameType.DATA ? 0 : 8)
            + (type == FrameType.RESPONSE ? 1 : 0)
            + Varint.size(entry.id());
    buffer.ensureWritable(header);
    buffer.position(header);
    Codec codec = this.codec;
    try {
      codec.encode(message, buffer);
    } catch (CodecException e) {
      throw e;
    } catch (RuntimeException | StackOverflowError e) {
      throw new CodecException(
          "codec " + codec.name() + " failed to encode " + entry.name() + ": " + e, e);
    }
    int total = buffer.position();
    int frameLength = total - 4;
    if (frameLength > peerMaxFrameBytes) {
      throw new MessageTooLargeException(
          entry.name()
              + " encodes to a frame of "
              + frameLength
              + " bytes, but "
              + peerName
              + " accepts at most "
              + peerMaxFrameBytes
              + " (its maxFrameBytes); the message was not sent and the connection stays up");
    }
    byte[] bytes = buffer.array();
    Frames.writeHeader(bytes, 0, frameLength, type);
    int position = Frames.HEADER_BYTES;
    if (type != FrameType.DATA) {
      Frames.writeLong(bytes, position, requestId);
      position += 8;
    }
    if (type == FrameType.RESPONSE) {
      bytes[position++] = 0; // status OK
    }
    Varint.write(bytes, position, entry.id());
    if (tryWriteDirect(bytes, total)) {
      messagesSent.increment();
      return SendResult.ACCEPTED;
    }
    int result;
    try {
      result = outbound.append(bytes, total, waitNanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TetherException("interrupted while waiting for room in the outbound queue", e);
    }
    if (result == OutboundBuffer.ACCEPTED) {
      messagesSent.increment();
      scheduleFlush();
      return SendResult.ACCEPTED;
    }
    return result == OutboundBuffer.CLOSED ? SendResult.CLOSED : SendResult.BACK_PRESSURED;
  }

  final ConnectionClosedException closedException() {
    ConnectionClosedException cause = closeCause;
    if (cause == null) {
      return new ConnectionClosedException(
          GoAwayCode.NORMAL, "connection with " + peerName + " is closing", false);
    }
    return new ConnectionClosedException(
        cause.code(), cause.rawCode(), cause.reason(), cause.isRemote(), cause);
  }

  private TetherTimeoutException backPressureTimeout(long waitNanos) {
    return new TetherTimeoutException(
        "send to "
            + peerName
            + " timed out after "
            + TimeUnit.NANOSECONDS.toMillis(waitNanos)
            + " ms: the outbound queue stayed full ("
            + outbound.size()
            + " bytes queued, limit "
            + config.maxQueuedOutboundBytes()
            + "); the peer or the network is slower than this sender");
  }

  /** Queues RESPONSE ERROR; from any thread, whatever the outbound limit. */
  final void respondError(long requestId, RequestErrorCode code, String message) {
    int room = Math.max(0, Math.min(peerMaxFrameBytes, 64 * 1024) - 1 - 8 - 1 - 2);
    byte[] text = WireStrings.truncatedUtf8(message, room);
    ByteBuffer frame = Frames.allocate(FrameType.RESPONSE, 8 + 1 + 2 + text.length);
    frame.putLong(requestId).put((byte) 1).putShort((short) code.code()).put(text);
    if (outbound.appendControl(frame.array())) {
      flush();
    }
  }

  private void sendResponse(long requestId, Object response) {
    if (response == null) {
      respondError(requestId, RequestErrorCode.HANDLER_FAILED, "request handler returned null");
      return;
    }
    try {
      if (enqueue(FrameType.RESPONSE, requestId, response, sendTimeoutNanos)
          != SendResult.ACCEPTED) {
        log.debug("response to request #{} dropped: connection closing", requestId);
      }
    } catch (TetherException | IllegalArgumentException e) {
      respondError(
          requestId,
          RequestErrorCode.HANDLER_FAILED,
          "response could not be sent: " + e.getMessage());
    }
  }

  // ---------------------------------------------------------------- receiving

  final Object decode(MessageTypes.Entry entry, ByteBuffer body) {
    Codec codec = this.codec;
    try {
      return codec.decode(entry.type(), body);
    } catch (CodecException e) {
      throw e;
    } catch (RuntimeException | StackOverflowError e) {
      throw new CodecException(
          "codec " + codec.name() + " failed to decode " + entry.name() + ": " + e, e);
    }
  }

  private boolean handlerMode() {
    return handlers.onMessage != null;
  }

  /** Queues a received DATA message; returns false if reading should pause. */
  final boolean deliverMessage(Object message, int frameBytes) {
    return inbound.offer(message, frameBytes);
  }

  /** Queues a received request; returns false if reading should pause. */
  final boolean deliverRequest(long requestId, Object message, int frameBytes) {
    if (handlerMode()) {
      return inbound.offer(new InboundRequest(requestId, message), frameBytes);
    }
    executor.execute(() -> handleRequest(requestId, message));
    return true;
  }

  final void deliverEvent(Object event) {
    if (handlerMode()) {
      inbound.offer(event, 0);
    } else {
      executor.execute(() -> deliver(event));
    }
  }

  /** Starts the dispatcher if the handler has something to do; after each batch of reads. */
  final void afterDelivery() {
    if (handlerMode() && !inbound.isEmpty() && dispatchScheduled.compareAndSet(false, true)) {
      executor.execute(dispatchTask);
    }
  }

  /** Called once the socket is closed: the handler sees onClose after the last message. */
  final void finishInbound() {
    inboundFinished = true;
    if (handlerMode()) {
      inbound.offer(CLOSED, 0);
      afterDelivery();
    } else {
      inbound.wakeAll();
      executor.execute(() -> deliver(CLOSED));
    }
  }

  /** Returns true on the thread that is delivering this connection's messages right now. */
  final boolean isDispatchThread() {
    return dispatchThread == Thread.currentThread();
  }

  private void dispatch() {
    boolean more;
    dispatchThread = Thread.currentThread();
    try {
      more = dispatchBatch();
    } finally {
      dispatchThread = null;
    }
    if (more) {
      executor.execute(dispatchTask); // yield the thread to other connections, stay scheduled
    }
  }

  /** Delivers queued items; returns true if the budget ran out with items left. */
  private boolean dispatchBatch() {
    Object[] batch = dispatchBatch;
    for (int budget = DISPATCH_BUDGET; budget > 0; ) {
      int n = inbound.drain(batch);
      if (n == 0) {
        dispatchScheduled.set(false);
        if (inbound.isEmpty() || !dispatchScheduled.compareAndSet(false, true)) {
          return false;
        }
        continue;
      }
      for (int i = 0; i < n; i++) {
        Object item = batch[i];
        batch[i] = null;
        deliver(item);
      }
      budget -= n;
    }
    return true;
  }

  @SuppressWarnings("unchecked")
  private void deliver(Object item) {
    if (item == CLOSED) {
      if (handlers.onClose != null && peer != null) { // only connections the application saw
        try {
          handlers.onClose.onClose(this, closeCause);
        } catch (RuntimeException e) {
          log.error("close handler of {} failed", this, e);
        }
      }
      closeFuture.complete(closeCause);
      return;
    }
    try {
      if (item == CONNECTED) {
        handlers.onConnection.onConnection(this);
      } else if (item instanceof InboundRequest request) {
        handleRequest(request.id(), request.message());
      } else {
        handlers.onMessage.onMessage(this, (I) item);
      }
    } catch (Exception e) {
      log.error("handler of {} failed; closing the connection", this, e);
      startClose(GoAwayCode.INTERNAL_ERROR, "the peer's message handler failed: " + e, false);
    }
  }

  @SuppressWarnings("unchecked")
  private void handleRequest(long requestId, Object message) {
    CompletionStage<? extends O> stage;
    try {
      stage = handlers.onRequest.onRequest(this, (I) message);
    } catch (Exception e) {
      respondError(requestId, RequestErrorCode.HANDLER_FAILED, describe(e));
      return;
    }
    if (stage == null) {
      respondError(requestId, RequestErrorCode.HANDLER_FAILED, "request handler returned null");
      return;
    }
    stage.whenComplete(
        (response, failure) -> {
          if (failure != null) {
            Throwable cause =
                failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause()
                    : failure;
            respondError(requestId, RequestErrorCode.HANDLER_FAILED, describe(cause));
          } else {
            sendResponse(requestId, response);
          }
        });
  }

  private static String describe(Throwable t) {
    return t.getMessage() != null ? t.getMessage() : t.getClass().getName();
  }

  @Override
  @SuppressWarnings("unchecked")
  public I receive(Duration timeout) throws InterruptedException {
    if (handlerMode()) {
      throw new IllegalStateException(
          "this connection delivers to its MessageHandler; receive() is for connections without one");
    }
    Object item = inbound.poll(OutboundBuffer.nanos(timeout), () -> inboundFinished);
    if (item != null) {
      return (I) item;
    }
    if (inboundFinished && inbound.isEmpty()) {
      throw closedException();
    }
    return null;
  }

  /**
   * Completes a response future; on the event loop, directly: a {@link ResponseFuture} runs its
   * dependents on the handler executor, so only threads waiting in {@code get} are woken here.
   */
  final void complete(CompletableFuture<Object> future, Object value) {
    future.complete(value);
  }

  final void completeExceptionally(CompletableFuture<Object> future, Throwable failure) {
    future.completeExceptionally(failure);
  }

  final void failPendingRequests(ConnectionClosedException cause) {
    for (Long id : pendingRequests.keySet()) {
      CompletableFuture<Object> future = pendingRequests.remove(id);
      if (future != null) {
        completeExceptionally(future, cause);
      }
    }
  }

  // ---------------------------------------------------------------- state

  @Override
  public PeerInfo peer() {
    return peer;
  }

  @Override
  public boolean isOpen() {
    return open && !goAwaySent && !inboundFinished;
  }

  @Override
  public CompletionStage<ConnectionClosedException> onClose() {
    return closeFuture.minimalCompletionStage();
  }

  /** Completes the close stage for connections that never opened. */
  final void completeCloseFuture() {
    closeFuture.complete(closeCause);
  }
}
