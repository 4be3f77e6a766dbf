package dev.tether.internal.engine;

import dev.tether.ConnectionClosedException;
import dev.tether.MessageTooLargeException;
import dev.tether.RequestErrorCode;
import dev.tether.SendResult;
import dev.tether.TetherException;
import dev.tether.TetherTimeoutException;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.internal.wire.FrameType;
import dev.tether.internal.wire.Frames;
import dev.tether.internal.wire.WireStrings;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sending half of a connection, on the callers' threads: encodes each message into a frame on
 * the sending thread ({@link MessageFramer}), writes it at once when nothing is queued and the
 * sender is not in a burst, and otherwise queues it in the {@link OutboundBuffer} under the rule
 * for the calling thread — an application thread waits (without progress, up to its send timeout),
 * an event loop never does, frames the transport owes are always accepted. Also the responses a
 * handler produces, and the error responses of requests nobody could deliver.
 *
 * <p>Thread safe.
 */
final class Sender {
  private static final Logger log = LoggerFactory.getLogger(Sender.class);

  /** How many bytes of frames {@link #sendAll} gathers before it queues them. */
  private static final int BATCH_RUN_BYTES = 64 * 1024;

  private final RealConnection<?, ?> c;
  private final long sendTimeoutNanos;

  Sender(RealConnection<?, ?> connection) {
    this.c = connection;
    this.sendTimeoutNanos = Deadlines.nanos(connection.config.sendTimeout());
  }

  void send(Object message) {
    sendOrThrow(message, sendTimeoutNanos);
  }

  void send(Object message, Duration timeout) {
    sendOrThrow(message, Deadlines.nanos(Objects.requireNonNull(timeout, "timeout")));
  }

  private void sendOrThrow(Object message, long waitNanos) {
    boolean onLoop = EventLoop.onAnyLoop();
    Mode mode = onLoop ? loopMode() : waiting();
    int result = enqueue(FrameType.DATA, 0, message, mode, waitNanos, false);
    if (result == OutboundBuffer.CLOSED) {
      throw c.closer.closedException();
    }
    if (result != OutboundBuffer.ACCEPTED) {
      throw backPressure(onLoop, waitNanos, result);
    }
  }

  /**
   * Sends messages in order as {@link #send} would one by one, but frames a run of them on this
   * thread and queues each run under one lock and with one flush request.
   */
  void sendAll(Iterable<?> messages) {
    Objects.requireNonNull(messages, "messages");
    boolean onLoop = EventLoop.onAnyLoop();
    Mode mode = onLoop ? loopMode() : waiting();
    int runBytes = Math.max(1, Math.min(BATCH_RUN_BYTES, c.config.maxQueuedOutboundBytes() / 4));
    if (!sendAllowed()) {
      throw closedDuringSendAll(0); // before anything is encoded, as send does
    }
    MessageFramer run = MessageFramer.batch();
    run.clear();
    long queued = 0;
    try {
      Encoding encoding = c.outbound.encoding();
      Iterator<?> it = messages.iterator();
      while (true) {
        try {
          if (!it.hasNext()) {
            break;
          }
          Object message = it.next();
          Objects.requireNonNull(message, "a message of sendAll is null");
          run.append(FrameType.DATA, 0, message, c.types, encoding, c.peerName);
        } catch (RuntimeException | Error e) {
          // the messages before the one that failed go out, as separate sends would have sent
          // them; an Error too (a codec's bug, a class missing at run time, the iterator's) fails
          // only its own message. A run that could not be queued is not tried again: that waited a
          // second send timeout, and could send a run the exception said was not sent.
          long before = queued + run.frames();
          if (run.frames() > 0) {
            try {
              queueRun(run, encoding, mode, queued);
            } catch (RuntimeException queueing) {
              queueing.addSuppressed(e);
              throw queueing;
            }
          }
          if (e instanceof RuntimeException r) {
            throw numbered(r, before);
          }
          throw e;
        }
        if (run.length() >= runBytes) {
          encoding = queueRun(run, encoding, mode, queued);
          queued += run.frames();
          run.clear();
        }
      }
      if (run.frames() > 0) {
        queueRun(run, encoding, mode, queued);
      }
    } finally {
      run.clear(); // gives back a run buffer grown past what a thread keeps, however it ended
    }
  }

  /**
   * Returns the failure of the message of a batch that {@code before} others preceded, of the same
   * type, saying which message it was and that those before it were queued; one of a type it does
   * not know, as it is.
   */
  private static RuntimeException numbered(RuntimeException failure, long before) {
    String message =
        "sendAll's message "
            + (before + 1)
            + " failed, and was not sent, nor any after it; the "
            + before
            + " before it were queued: "
            + failure.getMessage();
    Class<?> type = failure.getClass();
    RuntimeException numbered;
    if (type == CodecException.class) {
      numbered = new CodecException(message, failure);
    } else if (type == MessageTooLargeException.class) {
      numbered = new MessageTooLargeException(message);
    } else if (type == IllegalArgumentException.class) {
      numbered = new IllegalArgumentException(message, failure);
    } else if (type == NullPointerException.class) {
      numbered = new NullPointerException(message);
    } else {
      return failure;
    }
    if (numbered.getCause() == null) {
      numbered.initCause(failure);
    }
    return numbered;
  }

  /**
   * Queues the run's DATA frames, made with {@code encoding}; {@code queued} of the batch went
   * before it. If the session's encoding changed meanwhile (a reconnecting client's new server),
   * makes the run again with the new one; returns the encoding the run was queued with.
   */
  private Encoding queueRun(MessageFramer run, Encoding encoding, Mode mode, long queued) {
    Throwable unframed = null; // a message the new encoding cannot frame: those before it go out
    int result = appendRun(run, encoding, mode, queued);
    while (result == OutboundBuffer.STALE) {
      encoding = c.outbound.encoding();
      try {
        run.reframe(c.types, encoding, c.peerName);
      } catch (RuntimeException | Error e) {
        unframed = e;
      }
      result = run.frames() == 0 ? OutboundBuffer.ACCEPTED : appendRun(run, encoding, mode, queued);
    }
    if (result == OutboundBuffer.ACCEPTED) {
      afterQueued();
      if (unframed != null) {
        run.clear(); // queued: the caller must not queue the run again
        if (unframed instanceof Error error) {
          throw error;
        }
        throw (RuntimeException) unframed;
      }
      return encoding;
    }
    if (result == OutboundBuffer.CLOSED) {
      throw closedDuringSendAll(queued);
    }
    boolean onLoop = mode == Mode.LOOP || mode == Mode.OWN_LOOP;
    TetherTimeoutException timeout = backPressure(onLoop, sendTimeoutNanos, result);
    throw new TetherTimeoutException(timeout.getMessage() + "; " + notQueued(queued));
  }

  private int appendRun(MessageFramer run, Encoding encoding, Mode mode, long queued) {
    if (!sendAllowed()) {
      return OutboundBuffer.CLOSED;
    }
    long reserved = 0;
    try {
      reserved = reserve(run.charge(), mode, sendTimeoutNanos);
      if (reserved < 0) {
        return refused();
      }
      int result =
          c.outbound.appendFrames(
              run.array(),
              run.length(),
              run.frames(),
              mode.buffer,
              sendTimeoutNanos,
              encoding,
              reserved);
      reserved = result == OutboundBuffer.ACCEPTED ? 0 : reserved; // the buffer's now
      return result;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TetherException(
          "interrupted while waiting for room in the outbound queue to "
              + c.peerName
              + "; "
              + notQueued(queued),
          e);
    } finally {
      giveBack(reserved);
    }
  }

  /**
   * Refused for want of the runtime's {@link SendMemory}, as {@link OutboundBuffer#BACK_PRESSURED}
   * is for want of room in the connection's queue.
   */
  private static final int NO_MEMORY = OutboundBuffer.NO_MEMORY;

  /** Why {@link #reserve} refused: the connection closed meanwhile, or no memory came free. */
  private int refused() {
    return c.outbound.looksClosed() ? OutboundBuffer.CLOSED : NO_MEMORY;
  }

  private SendMemory memory() {
    return c.loop.sendMemory();
  }

  /** Gives back what {@link #reserve} took for frames that were not queued; -1 and 0 are none. */
  private void giveBack(long reserved) {
    if (reserved > 0) {
      memory().release(reserved);
    }
  }

  /**
   * Takes {@code charge} bytes of the runtime's {@link SendMemory} for frames about to be queued
   * under {@code mode}: a thread that may wait waits its turn, one that must not ({@code trySend},
   * an event loop) is refused, and the frames the transport owes are counted at once.
   *
   * @return the bytes taken, or -1 if refused
   */
  private long reserve(long charge, Mode mode, long waitNanos) throws InterruptedException {
    if (charge == 0) {
      return 0;
    }
    SendMemory memory = memory();
    switch (mode) {
      case FORCE -> memory.force(charge); // owed to the peer: refusing it breaks the protocol
      case NO_WAIT, LOOP, OWN_LOOP -> { // a loop never waits, and what it sends is bounded too
        return tryReserve(charge);
      }
      case WAIT, HANDLER, OWN_WAIT, OWN_HANDLER -> {
        if (!memory.take(charge, waitNanos, c.outbound::looksClosed)) {
          return -1;
        }
      }
    }
    return charge;
  }

  /** As {@link #reserve} for a sender that never waits: the bytes taken, or -1 if none are free. */
  private long tryReserve(long charge) {
    return charge == 0 || memory().tryTake(charge) ? charge : -1;
  }

  private String memoryFull() {
    SendMemory memory = memory();
    return "the runtime's memory for messages being sent (largeMessageSendMemory, "
        + memory.capacity()
        + " bytes, a bound on all its connections together) is taken ("
        + memory.used()
        + " bytes) by frames over 64 KiB and by what connections hold past their first "
        + OutboundBuffer.ALLOWANCE / 1024
        + " KiB; their peers read more slowly than the application sends";
  }

  private ConnectionClosedException closedDuringSendAll(long queued) {
    ConnectionClosedException closed = c.closer.closedException();
    return new ConnectionClosedException(
        closed.code(),
        closed.rawCode(),
        closed.reason() + "; " + notQueued(queued),
        closed.isRemote(),
        closed);
  }

  private static String notQueued(long queued) {
    return "sendAll had queued the first " + queued + " of its messages; the others were not sent";
  }

  SendResult trySend(Object message) {
    return result(enqueue(FrameType.DATA, 0, message, Mode.NO_WAIT, 0, false));
  }

  private static SendResult result(int appended) {
    return switch (appended) {
      case OutboundBuffer.ACCEPTED -> SendResult.ACCEPTED;
      case OutboundBuffer.CLOSED -> SendResult.CLOSED;
      default -> SendResult.BACK_PRESSURED;
    };
  }

  CompletionStage<Void> sendAsync(Object message) {
    Objects.requireNonNull(message, "message");
    ResponseFuture<Void> accepted = new ResponseFuture<>(c.callbackExecutor());
    if (!sendAllowed()) {
      accepted.completeExceptionally(c.closer.closedException());
      return accepted;
    }
    boolean own = c.mailbox.isDispatchThread(); // a handler of this connection: see waiting()
    int result;
    do {
      Encoding encoding = c.outbound.encoding();
      MessageFramer frame;
      try {
        frame = frame(FrameType.DATA, 0, message, encoding);
      } catch (RuntimeException | Error e) { // a codec's Error too: the stage reports it
        accepted.completeExceptionally(e);
        return accepted;
      }
      long reserved = tryReserve(frame.charge());
      if (reserved < 0) {
        frame.release();
        result = NO_MEMORY;
        break;
      }
      result = OutboundBuffer.CLOSED;
      try {
        result =
            c.outbound.appendAsync(
                frame.array(), frame.length(), accepted, encoding, reserved, own);
      } finally {
        frame.release();
        if (result != OutboundBuffer.ACCEPTED) {
          giveBack(reserved); // not queued, or it threw (out of memory for the copy)
        }
      }
    } while (result == OutboundBuffer.STALE);
    if (result == OutboundBuffer.CLOSED) {
      accepted.completeExceptionally(c.closer.closedException());
    } else if (result == NO_MEMORY) {
      accepted.completeExceptionally(
          new TetherTimeoutException(
              "sendAsync to "
                  + c.peerName
                  + " refused: "
                  + memoryFull()
                  + "; sendAsync does not wait for it: send waits its turn, or try again later"));
    } else if (result == OutboundBuffer.BACK_PRESSURED) {
      accepted.completeExceptionally(
          new TetherTimeoutException(
              "sendAsync to "
                  + c.peerName
                  + " refused: the outbound queue and the sends waiting for it are full ("
                  + c.config.maxQueuedOutboundBytes()
                  + " bytes each); wait for earlier sendAsync stages before sending more"));
    } else {
      afterQueued();
    }
    return accepted;
  }

  CompletableFuture<Object> request(Object message, Duration timeout) {
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(timeout, "timeout");
    if (!sendAllowed()) {
      return failedRequest(c.closer.closedException());
    }
    Requests.Pending pending = c.requests.register(message, Deadlines.nanos(timeout));
    boolean onLoop = EventLoop.onAnyLoop();
    int result;
    try {
      result =
          enqueue(
              FrameType.REQUEST,
              pending.id,
              message,
              onLoop ? loopMode() : waiting(),
              sendTimeoutNanos,
              false);
    } catch (RuntimeException | Error e) { // not left to wait for its timeout
      c.requests.abandon(pending);
      throw e;
    }
    if (result != OutboundBuffer.ACCEPTED) {
      c.requests.abandon(pending);
      pending.future.completeExceptionally(
          result == OutboundBuffer.CLOSED
              ? c.closer.closedException()
              : backPressure(onLoop, sendTimeoutNanos, result));
    }
    return pending.future;
  }

  /**
   * Queues an outstanding request again, with its id, for the server of the next session, ahead of
   * whatever is sent from then on; fails it if it cannot be, with the session's end ({@code ended}:
   * its code) and the reason it could not be queued. Loop thread, as a session ends: queued as the
   * loop's sends are, within twice the bound, since a server may have held any number of requests
   * unanswered before its GOAWAY.
   */
  void requestAgain(Requests.Pending pending, ConnectionClosedException ended) {
    Throwable failure = null;
    String why = "its message was not kept";
    if (pending.message != null) {
      try {
        int result = enqueue(FrameType.REQUEST, pending.id, pending.message, Mode.LOOP, 0, true);
        if (result == OutboundBuffer.ACCEPTED) {
          return;
        }
        why = notAskedAgain(result);
      } catch (RuntimeException | Error e) { // its codec took it the first time; if not now, say so
        failure = e;
        why = "its message could not be encoded again: " + Throwables.message(e);
      }
    }
    c.requests.abandon(pending);
    pending.future.completeExceptionally(
        new ConnectionClosedException(
            ended.code(),
            ended.rawCode(),
            c.peerName
                + " shut down before answering request #"
                + pending.id
                + ", which could not be queued for the server that comes back: "
                + why,
            true,
            failure));
  }

  private String notAskedAgain(int result) {
    if (result == NO_MEMORY) {
      return memoryFull();
    }
    if (result == OutboundBuffer.CLOSED) {
      return "the connection closed meanwhile";
    }
    return "the outbound queue holds "
        + c.outbound.size()
        + " bytes, past twice its bound of "
        + c.config.maxQueuedOutboundBytes()
        + ", with what the server did not process";
  }

  private CompletableFuture<Object> failedRequest(RuntimeException cause) {
    ResponseFuture<Object> future = new ResponseFuture<>(c.callbackExecutor());
    future.completeExceptionally(cause);
    return future;
  }

  /**
   * The application may send while the session is open (a resumable one also between sockets); its
   * handler also while it finishes the work of a close.
   */
  private boolean sendAllowed() {
    ConnectionState s = c.state();
    if (s.isSessionOpen()) { // a session between sockets queues what is sent meanwhile
      return !c.sendsRefused() || c.mailbox.isDispatchThread();
    }
    return s == ConnectionState.CLOSING && c.mailbox.isDispatchThread();
  }

  private MessageFramer frame(int type, long requestId, Object message, Encoding encoding) {
    return MessageFramer.get().frame(type, requestId, message, c.types, encoding, c.peerName);
  }

  /**
   * Encodes a message into a frame on this thread and queues it (or writes it at once); again if
   * the session's encoding changed meanwhile.
   *
   * @param owed true for a frame owed to the peer whatever the state (a response, a request asked
   *     again): queued unless the buffer is closed, without {@link #sendAllowed}
   */
  private int enqueue(
      int type, long requestId, Object message, Mode mode, long waitNanos, boolean owed) {
    Objects.requireNonNull(message, "message");
    if (!owed && !sendAllowed()) {
      return OutboundBuffer.CLOSED;
    }
    int result;
    do {
      Encoding encoding = c.outbound.encoding();
      MessageFramer frame = frame(type, requestId, message, encoding);
      long charge = frame.charge();
      if (mode != Mode.FORCE
          && charge == 0 // a large frame is queued, so that the queue counts its memory
          && c.io().tryWriteDirect(frame.asBuffer(), encoding)) {
        frame.release();
        return OutboundBuffer.ACCEPTED;
      }
      long reserved = 0;
      try {
        reserved = reserve(charge, mode, waitNanos);
        if (reserved < 0) {
          return refused();
        }
        result =
            c.outbound.append(
                frame.array(), frame.length(), mode.buffer, waitNanos, encoding, reserved);
        reserved = result == OutboundBuffer.ACCEPTED ? 0 : reserved; // the buffer's now
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TetherException(
            "interrupted while waiting for room in the outbound queue to " + c.peerName, e);
      } finally {
        giveBack(reserved);
        frame.release();
      }
    } while (result == OutboundBuffer.STALE);
    if (result == OutboundBuffer.ACCEPTED) {
      afterForcedAppend(mode);
      afterQueued();
    }
    return result;
  }

  /**
   * Frames were queued: the loop writes them, or, while a server's session waits for its client,
   * what they add counts against the detached sessions' budget at once.
   */
  private void afterQueued() {
    c.io().scheduleFlush();
    c.resumption.queued();
  }

  /** An event loop, which never waits: in a handler of this connection, one of its own. */
  private Mode loopMode() {
    return c.mailbox.isDispatchThread() ? Mode.OWN_LOOP : Mode.LOOP;
  }

  /**
   * A thread that may wait: a handler run by an event loop, or any other thread; on the thread of
   * this connection's own dispatcher, one that does not wait for the peer's acknowledgements.
   */
  private Mode waiting() {
    boolean own = c.mailbox.isDispatchThread();
    if (EventLoop.runsHandlerHere()) {
      return own ? Mode.OWN_HANDLER : Mode.HANDLER;
    }
    return own ? Mode.OWN_WAIT : Mode.WAIT;
  }

  /** How a sender's thread treats the bound; see {@link OutboundBuffer.Mode}. */
  private enum Mode {
    WAIT(OutboundBuffer.Mode.WAIT),
    HANDLER(OutboundBuffer.Mode.HANDLER),
    /** {@link #WAIT}, {@link #HANDLER} and {@link #LOOP} in a handler of this connection. */
    OWN_WAIT(OutboundBuffer.Mode.OWN_WAIT),
    OWN_HANDLER(OutboundBuffer.Mode.OWN_HANDLER),
    NO_WAIT(OutboundBuffer.Mode.NO_WAIT),
    LOOP(OutboundBuffer.Mode.LOOP),
    OWN_LOOP(OutboundBuffer.Mode.OWN_LOOP),
    FORCE(OutboundBuffer.Mode.FORCE);

    final OutboundBuffer.Mode buffer;

    Mode(OutboundBuffer.Mode buffer) {
      this.buffer = buffer;
    }
  }

  private void afterForcedAppend(Mode mode) {
    if (mode == Mode.FORCE && !c.outboundUnderBound()) {
      if (c.loop.inLoop()) {
        pauseWhileOverBound();
      } else {
        c.loop.execute(this::pauseWhileOverBound);
      }
    }
  }

  /**
   * Pauses reading if the outbound queue is over its bound. Looks again on the loop: had the queue
   * drained since the send, its going under the bound (the only thing that resumes reading) would
   * already be past, and reading would stay paused with nothing queued. Loop thread.
   */
  private void pauseWhileOverBound() {
    if (!c.outboundUnderBound()) {
      c.io().pauseForOutbound();
    }
  }

  /**
   * Encodes {@code message} as a whole DATA frame with {@code codec}, into a new array that {@link
   * #trySendFrame} may then queue on every connection that uses that codec instance ({@link
   * EncodedFrames#encodingKey}). Not checked against any peer's frame limit: that is per
   * connection.
   *
   * @throws IllegalArgumentException if the message's class is not registered
   * @throws dev.tether.codec.CodecException if the codec cannot encode it
   */
  byte[] encodeData(Object message, Codec codec) {
    Objects.requireNonNull(message, "message");
    MessageFramer frame =
        MessageFramer.get()
            .frame(
                FrameType.DATA,
                0,
                message,
                c.types,
                new Encoding(codec, Integer.MAX_VALUE),
                c.peerName);
    byte[] copy = java.util.Arrays.copyOf(frame.array(), frame.length());
    frame.release();
    return copy;
  }

  /**
   * Queues a DATA frame made by {@link #encodeData} with {@code codec} without ever waiting, as
   * {@link #trySend} does with a message: through the same bounded outbound queue. The array is
   * only read, so one array may be queued on many connections.
   *
   * @return as {@link #trySend}, or null if this connection no longer uses {@code codec} (a
   *     reconnecting client's new server chose another): nothing was queued, and the caller sends
   *     the message itself
   * @throws MessageTooLargeException if the frame exceeds this peer's limit; nothing is queued
   */
  SendResult trySendFrame(byte[] frame, Codec codec) {
    if (!sendAllowed()) {
      return SendResult.CLOSED;
    }
    Encoding encoding = c.outbound.encoding();
    if (encoding.codec() != codec) {
      return null;
    }
    long frameLength = frame.length - 4L;
    if (frameLength > encoding.peerMaxFrameBytes()) {
      throw new MessageTooLargeException(
          "a frame of "
              + frameLength
              + " bytes exceeds the "
              + encoding.peerMaxFrameBytes()
              + " that "
              + c.peerName
              + " accepts (its maxFrameBytes); not sent to it, and the connection stays up");
    }
    long charge = SendMemory.charge(frame.length);
    if (charge == 0 && c.io().tryWriteDirect(ByteBuffer.wrap(frame), encoding)) {
      return SendResult.ACCEPTED;
    }
    if (tryReserve(charge) < 0) {
      return SendResult.BACK_PRESSURED;
    }
    int result;
    try {
      result =
          c.outbound.append(frame, frame.length, OutboundBuffer.Mode.NO_WAIT, 0, encoding, charge);
    } catch (InterruptedException e) {
      throw new IllegalStateException("NO_WAIT appends never wait", e);
    }
    if (result != OutboundBuffer.ACCEPTED) {
      giveBack(charge);
    }
    if (result == OutboundBuffer.ACCEPTED) {
      afterQueued();
      return SendResult.ACCEPTED;
    }
    if (result == OutboundBuffer.STALE) {
      return null;
    }
    return result == OutboundBuffer.CLOSED ? SendResult.CLOSED : SendResult.BACK_PRESSURED;
  }

  /** Sends the handler's response to request {@code id}; may be called on any thread. */
  void respond(long id, Object response) {
    boolean onLoop = EventLoop.onAnyLoop();
    int result =
        enqueue(
            FrameType.RESPONSE,
            id,
            response,
            onLoop ? Mode.FORCE : waiting(),
            sendTimeoutNanos,
            true);
    if (result == OutboundBuffer.CLOSED) {
      throw c.closer.closedException();
    }
    if (result != OutboundBuffer.ACCEPTED) {
      throw backPressure(false, sendTimeoutNanos, result);
    }
  }

  /** Sends RESPONSE ERROR for request {@code id}; may be called on any thread. */
  void respondError(long id, RequestErrorCode code, String text) {
    byte[] frame = errorFrame(id, code, text);
    boolean onLoop = EventLoop.onAnyLoop();
    Mode mode = onLoop ? Mode.FORCE : waiting();
    int result;
    try {
      result = c.outbound.append(frame, frame.length, mode.buffer, sendTimeoutNanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.warn(
          "{}: error response to request #{} not sent: the thread was interrupted while it waited"
              + " for room ({})",
          this,
          id,
          code);
      return;
    }
    if (result == OutboundBuffer.ACCEPTED) {
      afterForcedAppend(mode);
      afterQueued();
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
    int room = Math.max(0, Math.min(c.peerMaxFrameBytes(), 64 * 1024) - 1 - 8 - 1 - 2);
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
      if (c.outbound.append(frame, frame.length, OutboundBuffer.Mode.FORCE, 0)
          == OutboundBuffer.ACCEPTED) {
        c.io().scheduleFlush();
      }
    } catch (InterruptedException e) {
      throw new IllegalStateException("FORCE appends never wait", e);
    }
    return c.outboundUnderBound();
  }

  /**
   * The refusal of a send that found no room ({@code result}: why) after {@code waitNanos}, or at
   * once {@code onLoop}. A sender given no time to wait is not on a loop for that: it is told it
   * timed out after 0 ms, not to move off a loop it is not on.
   */
  private TetherTimeoutException backPressure(boolean onLoop, long waitNanos, int result) {
    long waited = onLoop ? 0 : Math.max(0, waitNanos);
    if (result == NO_MEMORY) {
      return new TetherTimeoutException(
          "send to "
              + c.peerName
              + (waited == 0
                  ? " refused without waiting: "
                  : " timed out after "
                      + TimeUnit.NANOSECONDS.toMillis(waited)
                      + " ms in which none of it was given back: ")
              + memoryFull());
    }
    String where =
        onLoop
            ? "; send was called on an event-loop thread, which never waits: use trySend or"
                + " sendAsync there, or run handlers on the handler executor"
            : "";
    return new TetherTimeoutException(
        "send to "
            + c.peerName
            + " timed out after "
            + TimeUnit.NANOSECONDS.toMillis(waited)
            + " ms without progress: the outbound queue stayed full ("
            + c.outbound.size()
            + " bytes queued, limit "
            + c.config.maxQueuedOutboundBytes()
            + "); the peer or the network is slower than this sender"
            + where);
  }
}
