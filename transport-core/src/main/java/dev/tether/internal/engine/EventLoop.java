package dev.tether.internal.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread with one {@link Selector}, serving many channels, and the {@link DeadlineQueue} of
 * their timers. Other threads hand it work with {@link #execute} (the selector is woken only if it
 * may be sleeping) and timers with {@link #addTimer}.
 *
 * <p>The loop never waits on anything but its selector. Whatever a channel's handler, a task or a
 * timer throws is caught: the channel's handler is told through {@link Handler#onFailure} so that
 * it can close its own connection, and the loop carries on with every other channel.
 *
 * <p>The loop may also run connections' message handlers, at the end of a turn ({@link
 * #runHandlersSoon}), when its group has a {@link HandlerWatch}. While one runs, the loop's owner
 * is a mark of the thread instead of the thread: engine code that the handler calls sees a thread
 * like any other, which may wait. A handler that waits (or that the watch finds stuck) gives the
 * loop to a new thread ({@link #handOff}), which finishes the turn and carries on; the old thread
 * finishes its handler's work and ends. So the thread of a loop may change; {@link #inLoop} asks
 * for the current one.
 */
public final class EventLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(EventLoop.class);

  /** Bytes moved per socket read; also what one read of a paused connection may hold back. */
  static final int READ_BUFFER_BYTES = 64 * 1024;

  /** Bytes copied from an outbound ring into one socket write. */
  static final int WRITE_BUFFER_BYTES = 256 * 1024;

  /** A timer added from another thread wakes the loop only if due this much before it would. */
  private static final long WAKE_SLACK_NANOS = 1_000_000;

  /** Reacts to readiness of its channel; the selection key's attachment. */
  interface Handler {
    void onReady(SelectionKey key);

    /** Told when {@link #onReady} or one of its timers threw; must close its channel. */
    void onFailure(Throwable failure);

    /** Told when the loop stops (its runtime was closed); must close its channel at once. */
    default void onLoopStopped() {
      onFailure(new IllegalStateException("the runtime was closed"));
    }
  }

  /** The thread of a loop; lets any code ask cheaply whether it runs on an event loop. */
  static final class LoopThread extends Thread {
    /** The loop; null once the thread has handed it to another. */
    volatile EventLoop loop;

    /** The loop's owner while this thread runs a handler for it. */
    final Object runningHandler = new Object();

    LoopThread(EventLoop loop, String name) {
      super(loop, name);
      this.loop = loop;
      setDaemon(true);
    }
  }

  private static final java.lang.invoke.VarHandle OWNER;

  static {
    try {
      OWNER =
          java.lang.invoke.MethodHandles.lookup()
              .findVarHandle(EventLoop.class, "owner", Object.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Selector selector;
  private final String name;

  /**
   * The thread serving the loop; while it runs a handler, that thread's {@link
   * LoopThread#runningHandler} mark instead, and the loop may then be handed on.
   */
  @SuppressWarnings("unused") // through OWNER as well
  private volatile Object owner;

  /** Watches the handler calls of this loop; null if the loop never runs handlers. */
  private final HandlerWatch watch;

  /** Mailboxes whose handlers run at the end of this turn; those before the index have run. */
  private final ArrayList<Mailbox> handlerRuns = new ArrayList<>();

  private int handlerIndex;

  /**
   * True while the handlers running are this turn's only ones. Set by the loop's thread before it
   * runs them, read by the same thread in them ({@link #servesOneConnection}).
   */
  private boolean soleHandlerRun;

  /** The thread running a handler now, and its mailbox; both read by the watch. */
  private volatile Thread handlerThread;

  private volatile Mailbox handlerMailbox;

  /** Counts handler calls started, so that the watch can tell a stuck one. */
  private final java.util.concurrent.atomic.AtomicLong handlerProgress =
      new java.util.concurrent.atomic.AtomicLong();

  private final java.util.concurrent.atomic.LongAdder handOffs =
      new java.util.concurrent.atomic.LongAdder();
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private final AtomicReference<DeadlineQueue.Timer> addedTimers = new AtomicReference<>();
  private final DeadlineQueue timers = new DeadlineQueue();
  private final java.util.function.Consumer<SelectionKey> dispatcher = this::dispatch;

  /**
   * How old the last look at the sockets may be for a verdict on a peer (its silence, a deadline it
   * missed) to stand; older, the loop was held up since, and looks again first.
   */
  static final long HELD_UP_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  /** See {@link #lookedAt()}; {@link #looking} until the selector's answer is noted. */
  private long lookedAt = System.nanoTime();

  private boolean looking;

  /** Work for the end of this turn, added on the loop thread without allocating. */
  private final ArrayList<Runnable> endOfTurn = new ArrayList<>();

  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile long sleepingUntil = Long.MIN_VALUE;

  /** How long a loop that has just served I/O polls before it sleeps; see {@link #pollBriefly}. */
  private final long pollNanos;

  /**
   * True from a look at the selector that served a channel until a brief poll ({@link
   * #pollBriefly}) or a sleep finds none; loop thread.
   */
  private boolean servedIo;

  private volatile boolean stopping;

  /**
   * What a plain socket is read into; shared by every connection of this loop, loop thread only.
   */
  final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER_BYTES);

  /**
   * What frames are decoded from: {@link #readBuffer}'s bytes copied in one go after each read, or
   * a TLS connection's plaintext, which the TLS layer writes here directly. The frame decoder and
   * the codecs read an array for less than they read direct memory, and Jackson and Kryo read it in
   * place instead of copying every payload out first. Loop thread only.
   */
  final ByteBuffer decodeBuffer = ByteBuffer.allocate(READ_BUFFER_BYTES);

  final ByteBuffer writeBuffer = ByteBuffer.allocateDirect(WRITE_BUFFER_BYTES);

  /**
   * Opens the selector; {@link #start} starts the thread.
   *
   * @param watch the watch of the loop's group if the loop is to run handlers itself, or null
   * @param pollNanos how long the loop polls after serving I/O before it sleeps; 0 never polls
   */
  private final ReceiveMemory receiveMemory;

  private final SendMemory sendMemory;

  EventLoop(
      String name,
      HandlerWatch watch,
      long pollNanos,
      ReceiveMemory receiveMemory,
      SendMemory sendMemory) {
    this.receiveMemory = receiveMemory;
    this.sendMemory = sendMemory;
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a selector", e);
    }
    this.name = name;
    this.watch = watch;
    this.pollNanos = pollNanos;
  }

  /** The memory this loop's runtime lets its connections hold for large received frames. */
  ReceiveMemory receiveMemory() {
    return receiveMemory;
  }

  /** The memory this loop's runtime lets its connections hold for large frames they send. */
  SendMemory sendMemory() {
    return sendMemory;
  }

  void start() {
    LoopThread thread = new LoopThread(this, name);
    owner = thread;
    thread.start();
  }

  /** Returns true on a thread serving an event loop now, where nothing may wait. */
  static boolean onAnyLoop() {
    return Thread.currentThread() instanceof LoopThread t && t.loop != null && t.loop.owner == t;
  }

  /**
   * Called by engine code about to wait for something (room to send, a response, a message, a
   * close): if the current thread is running a handler for a loop, it gives the loop to a new
   * thread first, so that the wait holds up only this handler.
   */
  public static void beforeWaiting() {
    EventLoop loop = loopOfHandlerHere();
    if (loop != null) {
      loop.handOff();
    }
  }

  /**
   * Before a thread waits for {@code what}: hands the loop on if the thread runs a handler for one
   * ({@link #beforeWaiting}); then, if it is still an event loop, refuses, as Netty's {@code
   * BlockingOperationException} does. Waiting there would stop the loop serving its connections,
   * and what it waits for (a response, a message, the timer that times it out) may be what only
   * this loop can deliver: it would wait forever.
   *
   * @throws IllegalStateException if the current thread is an event loop
   */
  public static void refuseToWaitOnLoop(String what) {
    beforeWaiting();
    if (onAnyLoop()) {
      throw new IllegalStateException(
          what
              + " on an event loop would block it, and possibly wait for what only that loop"
              + " can deliver: handlers that always run on the loop (handlersOnEventLoop) must not"
              + " wait; use a callback (whenComplete, onRequestAsync, connectAsync), or the default"
              + " handlers, which hand the loop on when they wait");
    }
  }

  /**
   * Returns true if the current thread must not wait for {@code connection} to close: it is an
   * event loop, or it runs that connection's handlers, whose return the close waits for.
   */
  public static boolean cannotAwaitClose(dev.tether.Connection<?, ?> connection) {
    return onAnyLoop()
        || (connection instanceof RealConnection<?, ?> c && c.mailbox.isDispatchThread());
  }

  /** Returns the loop the current thread runs a handler for, which may hand it on; else null. */
  private static EventLoop loopOfHandlerHere() {
    if (Thread.currentThread() instanceof LoopThread t) {
      EventLoop loop = t.loop;
      if (loop != null && loop.owner == t.runningHandler) {
        return loop;
      }
    }
    return null;
  }

  /** Returns true for an owner that is a thread's mark: a handler runs on the loop. */
  private static boolean isHandlerMark(Object owner) {
    return owner != null && !(owner instanceof Thread);
  }

  Selector selector() {
    return selector;
  }

  boolean inLoop() {
    return Thread.currentThread() == owner;
  }

  /** Returns true in a handler that this loop runs (the loop's thread, the loop's owner a mark). */
  boolean isHandlerThread() {
    return loopOfHandlerHere() == this;
  }

  String name() {
    return name;
  }

  /** Returns true if this loop may run handlers itself, watched; see {@link HandlerWatch}. */
  boolean canRunHandlers() {
    return watch != null;
  }

  /** Returns how many times the loop was handed to a new thread; for tests and metrics. */
  long handOffs() {
    return handOffs.sum();
  }

  /**
   * Runs {@code mailbox}'s handlers on this loop at the end of the turn, after every ready channel
   * was read, and before the writes of the turn go out, so that replies join them. Loop thread.
   */
  void runHandlersSoon(Mailbox mailbox) {
    handlerRuns.add(mailbox);
  }

  /**
   * Returns true if the handlers this loop's thread is running are those of the only connection the
   * loop serves. Their replies are then worth writing before the turn's end ({@link Mailbox}'s
   * slices): no other connection's work keeps this loop busy while the peer works on them. Called
   * from those handlers' dispatcher, on the loop's thread, only when a slice is due: it looks at
   * the selector's keys.
   */
  boolean servesOneConnection() {
    return soleHandlerRun && oneConnectionRegistered();
  }

  /**
   * Returns true if at most one connection's channel is registered here, listening ones aside.
   * Handlers that always run on the loop ask this instead of {@link #servesOneConnection}: their
   * dispatcher runs while its connection is read, not in the turn's handler runs. Loop thread.
   */
  boolean oneConnectionRegistered() {
    int connections = 0;
    // iterated while channels may register: the selector's key set is concurrent since JDK 11
    for (SelectionKey key : selector.keys()) {
      if (key.attachment() instanceof RealConnection<?, ?> && ++connections > 1) {
        return false;
      }
    }
    return true;
  }

  /** Returns true while a handler runs on this loop; for the watch. */
  boolean inHandler() {
    return isHandlerMark(owner);
  }

  /** Returns true if the thread running a handler now waits (blocked, waiting or sleeping). */
  boolean handlerWaits() {
    Thread runner = handlerThread;
    return runner != null && runner.getState() != Thread.State.RUNNABLE;
  }

  /** Returns true if the current thread runs a handler for an event loop, which may hand it on. */
  static boolean runsHandlerHere() {
    return loopOfHandlerHere() != null;
  }

  /** Returns false once the loop is stopping: handlers then run elsewhere. */
  boolean acceptsHandlers() {
    return !stopping;
  }

  long handlerProgress() {
    return handlerProgress.get();
  }

  /**
   * Counts one more handler call by {@code runner}; returns false if that thread no longer runs
   * handlers for this loop (the loop was handed on while it was in one).
   */
  boolean handlerCalled(Thread runner) {
    if (handlerThread != runner) {
      return false;
    }
    handlerProgress.lazySet(handlerProgress.get() + 1);
    return true;
  }

  /**
   * Gives the loop to a new thread, if a handler is running on it: the new thread finishes the
   * current turn and carries on, the running handler's mailbox runs on the handler pool for a
   * while, and the thread of the handler goes on with it without the loop. Returns false if no
   * handler was running (it returned meanwhile).
   */
  boolean handOff() {
    Object mark = owner;
    if (!isHandlerMark(mark)) {
      return false;
    }
    Thread runner = handlerThread;
    Mailbox mailbox = handlerMailbox;
    LoopThread successor = new LoopThread(this, name);
    if (!OWNER.compareAndSet(this, mark, successor)) {
      return false;
    }
    handlerThread = null;
    handOffs.increment();
    if (mailbox != null) {
      mailbox.handlerBlocked();
    }
    if (runner instanceof LoopThread t) {
      t.loop = null;
      t.setName(name + "-handler");
    }
    log.debug("a handler of {} blocks; the loop goes on in a new thread", mailbox);
    successor.start();
    return true;
  }

  /** Runs {@code task} on the loop thread, soon; after {@link #shutdown}, never. */
  void execute(Runnable task) {
    tasks.add(task);
    if (!inLoop() && wakeupPending.compareAndSet(false, true)) {
      selector.wakeup();
    }
  }

  /**
   * Runs {@code task} at the end of the current turn, after every ready channel was served: writes
   * queued by many reads go out in one system call. Loop thread only; allocates nothing.
   */
  void atEndOfTurn(Runnable task) {
    endOfTurn.add(task);
  }

  /** Schedules a timer; loop thread only. */
  void schedule(DeadlineQueue.Timer timer, long deadline) {
    assert inLoop() : "timer scheduled on " + Thread.currentThread() + ", not loop " + name;
    timers.schedule(timer, deadline);
  }

  /** Cancels a timer; loop thread only. */
  void cancel(DeadlineQueue.Timer timer) {
    assert inLoop() : "timer cancelled on " + Thread.currentThread() + ", not loop " + name;
    timers.cancel(timer);
  }

  /**
   * Schedules a timer from any thread, without allocating: the timer is linked into a stack that
   * the loop moves into its queue on its next turn. The loop is woken only if it would otherwise
   * sleep past the deadline. The timer's {@link AddedTimer#nextAdded} link must be free.
   */
  void addTimer(AddedTimer timer, long deadline) {
    timer.deadline = deadline;
    DeadlineQueue.Timer head;
    do {
      head = addedTimers.get();
      timer.nextAdded = head;
    } while (!addedTimers.compareAndSet(head, timer));
    if (!inLoop() && sleepsPast(deadline) && wakeupPending.compareAndSet(false, true)) {
      selector.wakeup();
    }
  }

  /**
   * Returns true if the loop is asleep until after {@code deadline}. The loop publishes its sleep
   * before it looks at the added timers one last time, so one of the two always sees the other.
   */
  private boolean sleepsPast(long deadline) {
    long until = sleepingUntil;
    if (until == Long.MIN_VALUE) {
      return false; // awake: it will look at the added timers before it sleeps
    }
    return until == Long.MAX_VALUE || deadline - until + WAKE_SLACK_NANOS < 0;
  }

  /** A timer that may be added from another thread; it may also be dropped before it is added. */
  abstract static class AddedTimer extends DeadlineQueue.Timer {
    DeadlineQueue.Timer nextAdded;

    /** Returns false once the timer no longer matters, so that the loop need not schedule it. */
    abstract boolean isLive();
  }

  /** Returns how many timers the loop holds, counted on its own thread; for tests and metrics. */
  int timerCount() throws InterruptedException {
    java.util.concurrent.CompletableFuture<Integer> count =
        new java.util.concurrent.CompletableFuture<>();
    execute(
        () -> {
          addTimers();
          count.complete(timers.size());
        });
    try {
      return count.get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("event loop " + name() + " did not answer", e);
    }
  }

  /** Stops the loop: closes every channel registered with it, then ends the thread. */
  void shutdown() {
    stopping = true;
    selector.wakeup();
  }

  /** Waits up to {@code millis} for the thread to end; returns true if it did. */
  boolean awaitStopped(long millis) throws InterruptedException {
    return stopped.await(millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void run() {
    Thread me = Thread.currentThread();
    try {
      // a thread that took over finishes the turn of the one that handed the loop on
      if (!finishTurn()) {
        return;
      }
      while (!stopping) {
        try {
          if (!turn()) {
            return; // handed on while in a handler
          }
        } catch (Throwable t) {
          log.error(
              "event loop {} caught an unexpected error; continuing", name, Throwables.loggable(t));
        }
      }
      closeAll();
    } finally {
      if (owner == me) {
        stopped.countDown();
      }
    }
  }

  /** One turn; returns false if this thread no longer serves the loop. */
  private boolean turn() throws IOException {
    addTimers();
    long next = timers.nextDeadline();
    long now = System.nanoTime();
    // handlers queued by the last turn's end (a flush that made room) run in this one's
    if (!tasks.isEmpty()
        || !endOfTurn.isEmpty()
        || !handlerRuns.isEmpty()
        || (next != Long.MAX_VALUE && next - now <= 0)) {
      sleepingUntil = Long.MIN_VALUE;
      servedIo |= look(-1) > 0;
    } else if (servedIo && pollNanos > 0 && pollBriefly(now, next)) {
      sleepingUntil = Long.MIN_VALUE; // found I/O or work without sleeping
    } else {
      sleepingUntil = next;
      // Lowered before the last look at tasks: a look without sleeping (a poll) may have consumed
      // the wake-up of a producer whose task already ran, and a loop handed to a new thread
      // mid-turn leaves it up; slept on, it would keep every later producer from waking the loop.
      // A poll may likewise have consumed shutdown's wake-up: hence the look at stopping.
      wakeupPending.set(false);
      if (addedTimers.get() != null || !tasks.isEmpty() || stopping) {
        sleepingUntil = Long.MIN_VALUE;
        servedIo = look(-1) > 0;
      } else if (next == Long.MAX_VALUE) {
        servedIo = look(0) > 0;
      } else {
        servedIo = look(Math.max(1, (next - now + 999_999) / 1_000_000)) > 0;
      }
      sleepingUntil = Long.MIN_VALUE;
    }
    wakeupPending.set(false);
    runTasks();
    addTimers();
    timers.expire(System.nanoTime());
    return finishTurn();
  }

  /**
   * Polls the selector without sleeping for up to {@link #pollNanos}, or until {@code next} (a
   * timer's deadline): a loop that has just served I/O usually gets more within microseconds, and
   * finding it awake saves the peer's data a scheduler wake-up, which on a virtual machine costs
   * more than the wait. Returns true if it served I/O or found tasks or timers to run.
   *
   * <p>It yields the processor after every look. The thread it keeps waiting otherwise is often the
   * one it polls for: on a machine with few cores the peer's loop or the caller waiting for a
   * response, woken onto this core. Measured with two JVMs on a 2-core virtual machine, round trip
   * p50 (raw blocking sockets 29-33 µs): 53-54 µs when it yielded only after 16 looks (each a 1.3
   * µs system call there), 31-44 µs (mostly 31-32) yielding after each, 41-47 µs never polling; on
   * 16 cores the round trip is the same either way.
   */
  private boolean pollBriefly(long now, long next) throws IOException {
    long deadline = now + pollNanos;
    while (true) {
      if (look(-1) > 0) {
        return true; // servedIo stays true
      }
      if (!tasks.isEmpty() || addedTimers.get() != null || stopping) {
        return true;
      }
      long t = System.nanoTime();
      if (t - deadline >= 0 || (next != Long.MAX_VALUE && t - next >= 0)) {
        servedIo = false;
        return false;
      }
      Thread.yield();
    }
  }

  private boolean finishTurn() {
    boolean handlersRan = !handlerRuns.isEmpty();
    if (!runHandlers()) {
      return false;
    }
    if (handlersRan) {
      // what handlers queued for the loop while they ran, their replies' flushes above all (a
      // handler's thread is not the loop's owner, so it queues a task): run now, with this turn's
      // writes, as handlersOnEventLoop's flushes are. Left for the next turn, they waited for its
      // look at the selector, a system call per batch of replies: run here, pipelined echo json x1
      // (two JVMs, alternating pairs) took 3% less loop CPU per echo.
      runTasks();
    }
    runEndOfTurn();
    return true;
  }

  /**
   * Runs the handlers of the mailboxes queued this turn, one mailbox at a time, without an owner
   * meanwhile. Returns false if the loop was handed to another thread during a run: this thread
   * must then leave it, and the new owner runs the rest.
   */
  private boolean runHandlers() {
    if (handlerRuns.isEmpty()) {
      return true;
    }
    LoopThread me = (LoopThread) Thread.currentThread();
    // the loop is awake until this turn ends: what handlers queue for it needs no wake-up
    wakeupPending.set(true);
    while (handlerIndex < handlerRuns.size()) {
      Mailbox mailbox = handlerRuns.get(handlerIndex);
      handlerRuns.set(handlerIndex++, null);
      try {
        mailbox.takeStage(); // while the loop is still this thread's, so it cannot be handed on
      } catch (Throwable t) {
        log.error(
            "staged items of {} not handed to its dispatcher on {}",
            mailbox,
            name,
            Throwables.loggable(t));
      }
      soleHandlerRun = handlerRuns.size() == 1;
      handlerMailbox = mailbox;
      handlerThread = me;
      handlerProgress.lazySet(handlerProgress.get() + 1);
      owner = me.runningHandler;
      watch.busy();
      try {
        mailbox.runOnLoop();
      } catch (Throwable t) {
        log.error("handlers of {} failed on event loop {}", mailbox, name, Throwables.loggable(t));
      }
      if (!OWNER.compareAndSet(this, me.runningHandler, me)) {
        return false; // handed on meanwhile
      }
      clearInterrupt("a handler");
      handlerThread = null;
    }
    handlerMailbox = null;
    handlerRuns.clear();
    handlerIndex = 0;
    wakeupPending.set(false);
    return true;
  }

  /**
   * Clears the interrupt that code of the application's running on this thread (a handler, a codec)
   * left behind, as a thread pool does between tasks: nothing interrupts a loop on purpose, and the
   * interrupt would otherwise stay for good, with the next connection's handler seeing it and every
   * look at the selector returning at once, the loop spinning on an idle machine.
   */
  private void clearInterrupt(String culprit) {
    if (Thread.interrupted()) {
      log.debug("{} interrupted event loop {}; the interrupt is cleared", culprit, name);
    }
  }

  private void runEndOfTurn() {
    // by index: a task may add another, which then runs in this same pass
    for (int i = 0; i < endOfTurn.size(); i++) {
      try {
        endOfTurn.get(i).run();
      } catch (Throwable t) {
        log.error("event loop task failed", Throwables.loggable(t));
      }
    }
    endOfTurn.clear();
  }

  private void addTimers() {
    DeadlineQueue.Timer t = addedTimers.getAndSet(null);
    while (t != null) {
      AddedTimer timer = (AddedTimer) t;
      t = timer.nextAdded;
      timer.nextAdded = null;
      if (timer.isLive()) {
        timers.schedule(timer, timer.deadline);
      }
    }
  }

  /**
   * Looks at the sockets: without waiting ({@code timeoutMillis} -1), until one is ready (0), or up
   * to {@code timeoutMillis}; serves the ready ones, and notes when the selector answered ({@link
   * #lookedAt}).
   */
  private int look(long timeoutMillis) throws IOException {
    clearInterrupt("a handler, codec or task");
    looking = true;
    long start = timeoutMillis > 0 ? System.nanoTime() : 0;
    int n =
        timeoutMillis < 0
            ? selector.selectNow(dispatcher)
            : timeoutMillis == 0
                ? selector.select(dispatcher)
                : selector.select(dispatcher, timeoutMillis);
    if (looking) { // nothing was ready
      looking = false;
      long end = System.nanoTime();
      // a timed wait that ends far past its time was held up (a stopped process): the JDK does
      // not ask the kernel again after a wait interrupted once its time is up, so that "nothing"
      // is as old as the wait; the next look without waiting tells
      if (timeoutMillis <= 0 || end - start - timeoutMillis * 1_000_000 <= HELD_UP_NANOS) {
        lookedAt = end;
      }
    }
    return n;
  }

  /**
   * When the selector last answered: what had reached the sockets by then has been read. A timer
   * that judges a peer by what it read waits for a newer look if this one is old ({@link
   * KeepAlive}): the loop's thread was held up since. Loop thread.
   */
  long lookedAt() {
    return lookedAt;
  }

  private void dispatch(SelectionKey key) {
    if (looking) {
      looking = false;
      lookedAt = System.nanoTime();
    }
    if (key.attachment() instanceof Handler handler) {
      try {
        handler.onReady(key);
      } catch (Throwable t) {
        fail(handler, t);
      }
    }
  }

  /** Tells a channel's handler that it failed; if even that throws, cuts the channel off. */
  static void fail(Handler handler, Throwable failure) {
    try {
      handler.onFailure(failure);
    } catch (Throwable second) {
      log.error(
          "handler {} failed while handling its own failure {}",
          handler,
          Throwables.text(failure),
          Throwables.loggable(second));
    }
  }

  private void runTasks() {
    // bounded, so that tasks queued by tasks cannot starve the selector
    for (int n = tasks.size(); n > 0; n--) {
      Runnable task = tasks.poll();
      if (task == null) {
        return;
      }
      try {
        task.run();
      } catch (Throwable t) {
        log.error("event loop task failed", Throwables.loggable(t));
      }
    }
  }

  private void closeAll() {
    // handlers queued by the last turn's end: their dispatcher is scheduled here, and would never
    // run to deliver the close that follows
    if (!runHandlers()) {
      return; // handed on while in one; the new thread closes what is left
    }
    runTasks();
    for (SelectionKey key : new ArrayList<>(selector.keys())) {
      if (key.attachment() instanceof Handler handler) {
        try {
          handler.onLoopStopped();
        } catch (Throwable t) {
          log.debug("closing {} at shutdown", handler, t);
        }
      }
      try {
        key.channel().close();
      } catch (IOException | RuntimeException e) {
        log.debug("closing a channel at shutdown", e);
      }
    }
    try {
      selector.close();
    } catch (IOException e) {
      log.debug("closing the selector", e);
    }
  }
}
