package dev.tether.internal.engine;

import dev.tether.ConnectionClosedException;
import dev.tether.GoAwayCode;
import dev.tether.HandlerFailurePolicy;
import dev.tether.ReconnectListener;
import dev.tether.codec.CodecException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything a connection's handlers see, in order, one at a time: the connection event, messages,
 * requests, the close markers of PROTOCOL.md §8 and the close event. A serial executor in the
 * manner of gRPC's {@code SerializingExecutor}: received items wait in a bounded {@link
 * InboundQueue} and one dispatcher at a time delivers them on the handler executor (or on the
 * connection's event loop). By default the loop runs them itself, at the end of its turn, until one
 * blocks: then the loop goes on in a new thread and this mailbox uses the handler pool for a while
 * ({@link #handlerBlocked}). Nothing a handler throws, {@link Error}s included, can stop it: a
 * failing message handler closes the connection or is logged, as the {@link HandlerFailurePolicy}
 * says; a failing request handler is answered with HANDLER_FAILED.
 *
 * <p>Requests take the same path as messages, whether or not there is a message handler, so they
 * run in order and are bounded the same way; a request counts against the bound until it is
 * answered. The {@link #gate} counts requests being answered: the connection's GOAWAY may only
 * follow once none is, and after it no request is started.
 *
 * <p>Without a message handler, messages go to a second queue that {@code receive} takes from.
 */
final class Mailbox implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Mailbox.class);

  /** Items taken from the queue at once, for a dispatch thread to deliver one by one. */
  private static final int BATCH_ITEMS = 64;

  private static final Object[] NO_BATCH = new Object[0];

  /** Markers delivered in order with the messages. */
  enum Event {
    /** The handshake completed: run the connection handler. */
    CONNECTED,
    /** The application closed: everything before this was received before the close. */
    LOCAL_CUT,
    /** The peer's GOAWAY: everything before it preceded the GOAWAY. */
    PEER_GOAWAY,
    /** The socket is closed: run the close handler and complete the close stage; always last. */
    CLOSED
  }

  /** A received request, decoded or (if large) still to be decoded here. */
  record InboundRequest(long id, Object message) {}

  /**
   * A frame too large to decode on the event loop; decoded by the dispatcher. It holds {@code
   * reserved} bytes of the runtime's {@link ReceiveMemory} until its handler returns or it is
   * dropped ({@link #release}).
   */
  record Undecoded(int typeId, byte[] payload, long reserved) {}

  /** Items delivered in one go before the dispatcher lets other connections use the thread. */
  private static final int DISPATCH_BUDGET = 4096;

  /**
   * How long the loop's dispatcher goes on while a reply its handlers sent waits to be written,
   * when the loop serves this connection alone ({@link EventLoop#servesOneConnection}); then it
   * stops, the loop writes the replies so far, and the dispatcher goes on in the next turn. A batch
   * of pipelined messages is so answered in slices, and the peer works on the first replies while
   * this side handles the rest, instead of each side waiting for the other's whole batch. Two JVMs
   * on 2 cores, 64 messages in flight on one connection, pipelined echo {@code json} went from
   * 577k-689k to 973k-1,099k echoes a second with Tether's client (509k-643k to 732k-845k from a
   * plain one), {@code fury} from 1.36M-1.78M to 1.60M-2.03M. Not for cheap messages: a {@code
   * bytes} echo's batch is done within the time, and a write per 16 of them halved that echo's
   * rate. Not with several connections on the loop: their turns interleave anyway, and the extra
   * writes only cost (pipelined echo on four connections fell by up to a fifth when it sliced).
   *
   * <p>Handlers that always run on the loop ({@code handlersOnEventLoop}) are sliced the same way;
   * their dispatcher goes on at the turn's end, right after the write of the slice's replies.
   */
  private static final long SLICE_NANOS = 5_000;

  /** Deliveries between looks at {@link #SLICE_NANOS}' clock. */
  private static final int SLICE_CHECK = 8;

  /** How long handlers stay off the loop after one blocked it, the first time. */
  private static final long FIRST_PENALTY_NANOS =
      java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(10);

  /** The longest they stay off: each time one blocks again the time doubles, up to this. */
  private static final long MAX_PENALTY_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);

  private final RealConnection<?, ?> connection;
  private final Handlers<Object, Object> handlers;
  private final Executor executor;

  /** Runs the dispatcher once {@link #executor} has refused: the runtime's handler pool. */
  private final Executor fallback;

  private volatile boolean executorRefused;

  private final InboundQueue queue;
  private final InboundQueue received;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private Object[] batch = NO_BATCH;
  private int batchPosition;
  private int batchLength;
  private final AtomicReference<Thread> dispatchThread = new AtomicReference<>();
  private volatile boolean discarding;

  /** Messages and requests the dispatcher dropped because {@link #discarding}; dispatcher only. */
  private int skipped;

  private volatile boolean finished;

  /** Set by the loop when it queued something; lets it start a dispatcher once per read. */
  private boolean offered;

  /**
   * Set by the loop when it has scheduled this mailbox's dispatcher to run on it at the end of the
   * turn: what it queues until then stays in the queue's stage, unpublished, and the dispatcher
   * takes it from there ({@link #takeStage}) rather than through the queue's ring, which saves two
   * copies and two locks a batch. Loop thread.
   */
  private boolean stageForLoop;

  /** True if the loop runs the handlers itself while they do not block. */
  private final boolean onLoopUntilBlocked;

  private volatile boolean barredFromLoop;
  private volatile long barredUntil;
  private volatile long penaltyNanos = FIRST_PENALTY_NANOS;
  private final Runnable startAgain = this::startDispatcher;
  private final Runnable startWhenWritable = this::startWhenWritable;

  /**
   * Set when the dispatcher stopped to let its replies so far be written (a slice), not because its
   * budget ran out. Dispatch thread.
   */
  private boolean sliceEnded;

  /** Requests being answered; bit 31 once the GOAWAY is on its way and none may start. */
  final RequestGate gate = new RequestGate();

  private final RequestAnswers requests;

  /**
   * @param executor where handlers run; null for the connection's event loop
   * @param onLoopUntilBlocked if true, the event loop runs them while they do not block, and {@code
   *     executor} when one did
   */
  @SuppressWarnings("unchecked")
  Mailbox(
      RealConnection<?, ?> connection,
      Handlers<?, ?> handlers,
      Executor executor,
      Executor fallback,
      boolean onLoopUntilBlocked) {
    this.connection = connection;
    this.handlers = (Handlers<Object, Object>) handlers;
    this.executor = executor;
    this.fallback = fallback;
    this.onLoopUntilBlocked = onLoopUntilBlocked && executor != null;
    Runnable resume = connection::resumeReadingSoon;
    int maxItems = connection.config.maxQueuedInboundMessages();
    long maxBytes = connection.config.maxQueuedInboundBytes();
    ReceiveMemory memory = connection.loop.receiveMemory();
    this.queue = new InboundQueue(maxItems, maxBytes, resume, memory);
    this.received =
        handlers.onMessage == null ? new InboundQueue(maxItems, maxBytes, resume, memory) : null;
    this.requests = new RequestAnswers(this, connection, this.handlers, queue, gate);
  }

  /** Gives the queues' memory back if nothing arrived since the previous call; loop thread. */
  void trimIfIdle() {
    if (queue.trimIfIdle() && batch != NO_BATCH && scheduled.compareAndSet(false, true)) {
      // no dispatcher runs, so the batch is nobody's: the stage hand-over may have grown it
      if (batchPosition == batchLength) {
        batch = NO_BATCH;
        batchPosition = 0;
        batchLength = 0;
      }
      scheduled.set(false);
      if (!queue.isEmpty()) {
        schedule(); // one asked for while this held the flag
      }
    }
    if (received != null) {
      received.trimIfIdle();
    }
  }

  /** Returns true if received messages wait for {@code receive} rather than a handler. */
  boolean receiveMode() {
    return received != null;
  }

  // ------------------------------------------------------------------ event-loop side

  /** Queues a received message; returns false if reading should pause. Loop thread. */
  boolean offerMessage(Object message, int frameBytes) {
    if (discarding) {
      release(message);
      return true;
    }
    if (received != null) {
      return received.stage(message, frameBytes) && !queue.isFull();
    }
    noteOffered();
    return queue.stage(message, frameBytes, stageForLoop);
  }

  /** Queues a received request; returns false if reading should pause. Loop thread. */
  boolean offerRequest(long id, Object message, int frameBytes) {
    if (discarding) {
      release(message);
      return true;
    }
    noteOffered();
    return queue.stage(new InboundRequest(id, message), frameBytes, stageForLoop)
        && (received == null || !received.isFull());
  }

  /**
   * Notes that the loop queued an item; at the first since its last read, if the handlers may run
   * on the loop and no dispatcher is running or scheduled, schedules one on the loop for the end of
   * this turn, which will take what is staged meanwhile ({@link #stageForLoop}). Loop thread.
   */
  private void noteOffered() {
    if (offered) {
      return;
    }
    offered = true;
    if (!stageForLoop
        && onLoopUntilBlocked
        && connection.loop.acceptsHandlers()
        && mayRunOnLoop()
        && scheduled.compareAndSet(false, true)) {
      stageForLoop = true;
      connection.loop.runHandlersSoon(this);
    }
  }

  /**
   * Called by the loop just before it runs this mailbox's dispatcher at the end of a turn, while
   * the loop is still its own (no handler runs, so it cannot be handed on meanwhile): gives the
   * dispatcher what was staged for it, in place of its empty batch if nothing is queued before,
   * else by publishing it. Loop thread.
   */
  void takeStage() {
    if (!stageForLoop) {
      return;
    }
    stageForLoop = false;
    int n = queue.stagedCount();
    if (n > 0 && batchPosition == batchLength) {
      // the arrays go round between the stage and the batch, the larger they had to grow
      Object[] taken = queue.takeStaged(batch == NO_BATCH ? new Object[BATCH_ITEMS] : batch);
      if (taken != null) {
        batch = taken;
        batchPosition = 0;
        batchLength = n;
      }
      return;
    }
    queue.publish();
  }

  /**
   * Lets consumers see the messages and requests offered so far: the loop offers them a read at a
   * time under one lock each ({@link InboundQueue#stage}). Loop thread.
   */
  void publish() {
    assert connection.loop.inLoop();
    if (!stageForLoop) {
      queue.publish();
    }
    if (received != null) {
      received.publish();
    }
  }

  /** Returns true if a queue holds half its limit or more, counting what the loop staged. Loop. */
  boolean halfFull() {
    return queue.halfFull() || (received != null && received.halfFull());
  }

  /**
   * Queues an event whatever the bounds, after everything offered before, and makes sure a
   * dispatcher runs. Loop thread.
   */
  void offerEvent(Object event) {
    assert connection.loop.inLoop() : "event " + event + " offered off the loop";
    if (received != null) {
      received.publish();
    }
    queue.offer(event, 0);
    schedule();
  }

  /** Returns true while either queue is full, so reading must stay paused. */
  boolean isFull() {
    return queue.isFull() || (received != null && received.isFull());
  }

  /** Stops delivering messages and requests; events still run. Returns how many were dropped. */
  int discard() {
    discarding = true;
    return received != null ? received.clear(this::release) : 0;
  }

  /** Starts a dispatcher if something was offered since the last call. Loop thread. */
  void dispatchOffered() {
    publish();
    if (offered) {
      offered = false;
      schedule(); // does nothing if this turn's dispatcher takes the stage: it is scheduled
    }
  }

  /** Starts a dispatcher if none is running or scheduled. */
  void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      startDispatcher();
    }
  }

  /** Starts the dispatcher that {@link #scheduled} stands for. */
  private void startDispatcher() {
    EventLoop loop = connection.loop;
    if (onLoopUntilBlocked && loop.inLoop() && loop.acceptsHandlers() && mayRunOnLoop()) {
      loop.runHandlersSoon(this);
    } else if (executor != null) {
      executeDispatcher();
    } else if (connection.loop.inLoop()) {
      run();
    } else {
      connection.loop.execute(this);
    }
  }

  /**
   * Hands the dispatcher to the handler executor. One that refuses (shut down, saturated) must not
   * wedge the connection, its dispatcher marked scheduled and its items never delivered, nor leave
   * its close unfinished: the connection fails, saying so; what was received and not handled is
   * counted as such, and the dispatcher goes on, on the runtime's handler pool (or, if that refuses
   * too, on the event loop), to run the close handler and complete the close.
   */
  private void executeDispatcher() {
    boolean refusedBefore = executorRefused;
    try {
      (refusedBefore ? fallback : executor).execute(this);
    } catch (RuntimeException e) {
      if (refusedBefore) {
        // the runtime's executor too: one the application gave the runtime, and shut down; only
        // the close handler and the transport's own events are left, and the loop runs them
        log.warn(
            "{}: the runtime's handler executor refused work too ({}); the event loop runs what is"
                + " left",
            connection,
            e.toString());
        connection.loop.execute(this);
        return;
      }
      executorRefused = true;
      discarding = true; // nothing more for the application's handlers but the close handler
      log.error(
          "handler executor of {} refused work; closing the connection, whose close handler runs on"
              + " the runtime's handler pool",
          connection,
          e);
      connection.loop.execute(
          () ->
              connection.closer.fail(
                  GoAwayCode.INTERNAL_ERROR,
                  "the handler executor refused work: " + Throwables.text(e)));
      executeDispatcher();
    }
  }

  private boolean mayRunOnLoop() {
    if (!barredFromLoop) {
      return true;
    }
    if (System.nanoTime() - barredUntil < 0) {
      return false;
    }
    barredFromLoop = false;
    return true;
  }

  /**
   * Told by the loop that a handler of this connection blocked it: the handlers run on the pool for
   * a while, twice as long each time it happens again.
   */
  void handlerBlocked() {
    long penalty = penaltyNanos;
    barredUntil = System.nanoTime() + penalty;
    barredFromLoop = true;
    penaltyNanos = Math.min(2 * penalty, MAX_PENALTY_NANOS);
  }

  /** The dispatcher stopped at a full outbound queue; starts it again once there is room. Loop. */
  private void startWhenWritable() {
    if (connection.outbound.queuedUnderBound()) {
      schedule();
    } else {
      connection.dispatchWhenWritable();
    }
  }

  // ------------------------------------------------------------------ dispatcher side

  /**
   * Returns true if the dispatcher has items left to deliver after the one it is delivering.
   * Dispatch thread.
   */
  boolean moreToDeliver() {
    return batchPosition < batchLength || !queue.isEmpty();
  }

  /** Returns true on the thread delivering this connection's items right now. */
  boolean isDispatchThread() {
    return dispatchThread.get() == Thread.currentThread();
  }

  @Override
  public void run() {
    Thread current = Thread.currentThread();
    if (dispatchThread.get() == current) {
      return; // re-entered from a handler on the loop; the running dispatcher goes on
    }
    if (dispatchOn(current, false)) {
      if (onLoopUntilBlocked) {
        connection.loop.execute(startAgain); // back on the loop if it may be
      } else if (executor != null) {
        executeDispatcher(); // yield the thread to other connections, stay scheduled
      } else if (sliceEnded) {
        // handlers always on the loop, a slice done: its replies' flush waits at the turn's end
        // (SocketIo.scheduleFlush); the rest of the batch right after it, in the same pass
        connection.loop.atEndOfTurn(this);
      } else {
        connection.loop.execute(this);
      }
    }
  }

  /** Delivers queued items on the event loop, at the end of its turn; see {@link EventLoop}. */
  void runOnLoop() {
    if (dispatchOn(Thread.currentThread(), true)) {
      // other connections' handlers first, or, after a slice, the flush its replies queued
      connection.loop.execute(startAgain);
    }
  }

  /** Delivers with {@code current} as the dispatch thread; returns true if items are left. */
  private boolean dispatchOn(Thread current, boolean onLoop) {
    dispatchThread.set(current);
    try {
      return dispatch(onLoop);
    } finally {
      // a successor may already run (scheduled the moment this one released the flag)
      dispatchThread.compareAndSet(current, null);
    }
  }

  /**
   * Delivers queued items; returns true if it stopped with items left: its budget ran out, or a
   * slice ended ({@link #sliceEnded}, {@link #SLICE_NANOS}). On the event loop it stops while the
   * outbound queue is over its bound, and the connection reschedules it once the queue drains, so a
   * handler on the loop never sends into a full queue (a send there never waits: it would fail).
   * That holds for the loop's own handler runs, for handlers always on the loop, and for an
   * executor of the application's that runs the dispatcher where it is handed it, such as {@code
   * Runnable::run}, on the connection's loop.
   */
  private boolean dispatch(boolean onLoop) {
    Thread current = onLoop ? Thread.currentThread() : null;
    boolean onOwnLoop = connection.loop.inLoop();
    // handlers that always run on the loop: here from the loop's reading, or from its tasks
    boolean alwaysOnLoop = executor == null && onOwnLoop;
    sliceEnded = false;
    int sinceLook = 0;
    boolean replyWaits = false;
    long replyWaitsSince = 0;
    for (int budget = DISPATCH_BUDGET; budget > 0; budget--) {
      if ((executor == null || onLoop || onOwnLoop)
          && !connection.outbound.queuedUnderBound()
          && !finished) {
        scheduled.set(false); // a handler run by the loop does not wait for room: it waits here
        if (onLoop) {
          connection.loop.execute(startWhenWritable); // the loop's owner is a mark meanwhile
        } else {
          connection.dispatchWhenWritable();
        }
        return false;
      }
      if (batchPosition == batchLength) {
        batchPosition = 0;
        if (batch == NO_BATCH) {
          batch = new Object[BATCH_ITEMS]; // at the first delivery: an idle connection has none
        }
        batchLength = queue.drain(batch);
        if (batchLength == 0) {
          scheduled.set(false);
          if (queue.isEmpty() || !scheduled.compareAndSet(false, true)) {
            return false;
          }
          continue;
        }
      }
      Object item = batch[batchPosition];
      batch[batchPosition++] = null;
      if (onLoop) {
        // false once the loop went on without this thread: it is then a thread like a pool's
        onLoop = connection.loop.handlerCalled(current);
      }
      try {
        deliver(item);
      } catch (Throwable t) {
        deliveryFailed(item, t);
      }
      if ((onLoop || alwaysOnLoop) && ++sinceLook == SLICE_CHECK) {
        sinceLook = 0;
        if (connection.io().flushPending() && aloneOnLoop(onLoop)) {
          long now = System.nanoTime();
          if (!replyWaits) {
            replyWaits = true;
            replyWaitsSince = now;
          } else if (now - replyWaitsSince >= SLICE_NANOS && moreToDeliver()) {
            sliceEnded = true;
            return true; // the loop writes the replies, then this goes on (runOnLoop, run)
          }
        }
      }
    }
    return true;
  }

  /**
   * Returns true if this connection is the only one its loop serves, so that writing its replies
   * before the turn's end holds up no other connection ({@link #SLICE_NANOS}). For handlers always
   * on the loop, also that the loop is not stopping: its last pass, which closes the connections,
   * runs no end-of-turn work, where their dispatcher would go on.
   */
  private boolean aloneOnLoop(boolean inHandlerRun) {
    EventLoop loop = connection.loop;
    return inHandlerRun
        ? loop.servesOneConnection()
        : loop.acceptsHandlers() && loop.oneConnectionRegistered();
  }

  /**
   * Something escaped the delivery of {@code item}, past the handlers' own failure handling (an
   * engine bug, or a logger that failed to print an application's failure): the dispatcher goes on,
   * as it must for the events still to come, and the connection fails, delivering nothing more.
   */
  private void deliveryFailed(Object item, Throwable t) {
    discarding = true;
    if (item == Event.CLOSED) {
      connection.closer.completeClose(); // the close handler's run is over, however it ended
      return;
    }
    connection.loop.execute(() -> connection.onFailure(t));
  }

  private void deliver(Object item) {
    if (item instanceof Event event) {
      onEvent(event);
    } else if (item instanceof SessionEvent event) {
      onSessionEvent(event);
    } else if (discarding) {
      skipped++;
      release(item);
    } else if (item instanceof InboundRequest request) {
      try {
        requests.onRequest(request);
      } finally {
        release(request);
      }
    } else {
      try {
        onMessage(item);
      } finally {
        release(item);
      }
    }
  }

  /**
   * Gives back the {@link ReceiveMemory} a large message or request held, if it did: it has been
   * handled (its handler returned), taken by {@code receive}, or dropped. Any thread.
   */
  private void release(Object item) {
    if (item instanceof InboundRequest request) {
      item = request.message();
    }
    if (item instanceof Undecoded raw) {
      connection.receiveMemory.release(raw.reserved());
    }
  }

  private void onEvent(Event event) {
    switch (event) {
      case CONNECTED -> {
        if (handlers.onConnection != null) {
          try {
            handlers.onConnection.onConnection(connection.self());
          } catch (Throwable t) {
            handlerFailed("connection handler", t);
          }
        }
      }
      case LOCAL_CUT, PEER_GOAWAY -> connection.loop.execute(connection.closer::onCutReached);
      case CLOSED -> onClosed();
    }
  }

  private void onSessionEvent(SessionEvent event) {
    ReconnectListener<Object, Object> listener = handlers.onReconnect;
    if (listener == null) {
      return;
    }
    try {
      switch (event.kind()) {
        case SessionEvent.DISCONNECTED ->
            listener.onDisconnected(connection.self(), (ConnectionClosedException) event.cause());
        case SessionEvent.RESUMED -> listener.onResumed(connection.self(), (int) event.count());
        case SessionEvent.LOST ->
            listener.onSessionLost(
                connection.self(), event.count(), (ConnectionClosedException) event.cause());
        default -> listener.onGaveUp(connection.self(), event.cause());
      }
    } catch (Throwable t) {
      log.error("reconnect listener of {} threw; ignored", connection, Throwables.loggable(t));
    }
  }

  private void onClosed() {
    finished = true;
    discarding = true;
    connection.receiveMemory.close(); // what receive() has not taken, or a frame cut short
    queue.endMemory();
    if (received != null) {
      received.endMemory();
    }
    if (received != null) {
      received.wakeAll();
    }
    ConnectionClosedException cause = connection.closer.closeCause();
    if (skipped > 0) {
      log.warn(
          "{}: {} received messages and requests were not handled, because the connection failed"
              + " first ({})",
          connection,
          skipped,
          cause.reason());
    }
    try {
      if (handlers.onClose != null && connection.peer() != null) {
        handlers.onClose.onClose(connection.self(), cause);
      }
    } catch (Throwable t) {
      log.error("close handler of {} threw; ignored", connection, Throwables.loggable(t));
    } finally {
      connection.closer.completeClose();
    }
  }

  private void onMessage(Object item) {
    Object message;
    try {
      message = decoded(item);
    } catch (CodecException e) {
      undecodable(item, e);
      discarding = true;
      return;
    } catch (Throwable t) {
      decoderBroke(t);
      return;
    }
    try {
      handlers.onMessage.onMessage(connection.self(), message);
    } catch (ConnectionClosedException e) {
      if (connection.state().isClosing()) {
        // a reply to a message that crossed this side's GOAWAY (PROTOCOL.md §8, step 2): the close
        // refused it, as it must; the handler did nothing wrong, and what follows is still handled
        log.debug("{}: the message handler's send was refused by the close: {}", connection, e);
      } else {
        handlerFailed("message handler", e);
      }
    } catch (Throwable t) {
      handlerFailed("message handler", t);
    }
  }

  /**
   * A codec failed with something other than a {@link CodecException} (an {@link Error}: a bug, a
   * class missing at run time) on a payload too large to decode on the loop: the connection ends as
   * it would had the loop decoded it, with INTERNAL_ERROR, and nothing after it is delivered.
   */
  void decoderBroke(Throwable t) {
    discarding = true;
    connection.loop.execute(() -> connection.onFailure(t));
  }

  /** Closes with CODEC_ERROR for a large DATA payload the codec could not read. Any thread. */
  private void undecodable(Object item, CodecException e) {
    String reason =
        item instanceof Undecoded raw
            ? FrameRouter.undecodableDataReason(connection, raw.typeId(), e)
            : "cannot decode DATA: " + e.getMessage();
    connection.loop.execute(() -> connection.closer.fail(GoAwayCode.CODEC_ERROR, reason));
  }

  Object decoded(Object item) {
    if (item instanceof Undecoded raw) {
      return connection.decode(raw.typeId(), java.nio.ByteBuffer.wrap(raw.payload()));
    }
    return item;
  }

  private void handlerFailed(String which, Throwable t) {
    if (connection.config.handlerFailurePolicy() == HandlerFailurePolicy.LOG_AND_CONTINUE) {
      log.warn(
          "{} of {} threw; going on, as configured", which, connection, Throwables.loggable(t));
      return;
    }
    discarding = true;
    String reason = "the peer's " + which + " failed: " + describe(t);
    connection.loop.execute(() -> connection.closer.fail(GoAwayCode.INTERNAL_ERROR, reason));
    log.error(
        "{} of {} threw; closing the connection (INTERNAL_ERROR)",
        which,
        connection,
        Throwables.loggable(t));
  }

  /**
   * The words for a failure of the application's in a GOAWAY or RESPONSE ERROR: its message, or its
   * class name if it has none, or if even its {@code getMessage} fails.
   */
  static String describe(Throwable t) {
    return Throwables.message(t);
  }

  // ------------------------------------------------------------------ receive()

  /** Takes the next message for {@code receive}, waiting up to {@code nanos}; null if none. */
  Object receive(long nanos) throws InterruptedException {
    Object item = received.poll(nanos, () -> finished);
    if (item == null) {
      return null;
    }
    try {
      return decoded(item);
    } catch (CodecException e) {
      undecodable(item, e);
      throw e;
    } catch (Throwable t) {
      decoderBroke(t);
      throw t;
    } finally {
      release(item);
    }
  }

  /** Returns true once the connection has closed and every received message has been taken. */
  boolean drained() {
    return finished && (received == null || received.isEmpty());
  }

  /**
   * Returns true if no received item waits for a handler or {@code receive}, and no handler is
   * being called or about to be.
   */
  boolean isIdle() {
    return !scheduled.get() && queuedMessages() == 0;
  }

  int queuedMessages() {
    return queue.size() + (received != null ? received.size() : 0);
  }
}
