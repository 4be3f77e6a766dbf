package dev.tether.internal.engine;

import dev.tether.internal.wire.FrameDecoder;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * Received items waiting for a consumer: a ring of items with their sizes in bytes, bounded by a
 * count and a byte total. The event loop offers, a read's worth at a time under one lock ({@link
 * #stage}, {@link #publish}); one consumer at a time takes, or, when the consumer runs on the loop
 * itself, takes a turn's staged items whole, without their passing through the ring ({@link
 * #takeStaged}). Requests that were taken but not yet answered still count against the count limit
 * ({@link #startWork}, {@link #finishWork}), so that a handler that answers asynchronously cannot
 * gather unbounded work.
 *
 * <p>{@link #offer} returns false once a limit is reached, and the loop stops reading from the
 * socket; as soon as the consumer has made room the {@code onRoom} callback runs once, and reading
 * resumes. Resuming at the first free slot rather than at a low-water mark keeps a steady slow
 * consumer fed and its sender moving.
 *
 * <p>Beyond its own bounds, a queue given the runtime's {@link ReceiveMemory} holds the bytes of
 * small frames past its first {@link #ALLOWANCE} only while it has drawn as much from that memory,
 * which it does a step of {@code ALLOWANCE} at a time and gives back as the consumer takes: so many
 * connections whose consumers all fall behind hold the memory's capacity between them, not each its
 * own bound. While the memory has nothing free the queue counts as full, and {@code onRoom} runs
 * once a release made room for it. Frames over {@link FrameDecoder#ADMIT_ABOVE} hold their share of
 * that memory already, from their header on, and count against the queue's own bounds only.
 *
 * <p>Thread safe. The ring's arrays are allocated on first use and kept while items keep coming, so
 * that a busy connection's bursts reuse them; {@link #trimIfIdle}, called once a heartbeat, gives
 * them back once nothing came for a whole heartbeat, so an idle connection holds none.
 */
final class InboundQueue {
  private static final Object[] NO_ITEMS = new Object[0];
  private static final int[] NO_SIZES = new int[0];

  /**
   * Items staged before a publication even if the queue has room for more; unless the consumer
   * takes them from the stage itself ({@link #takeStaged}), when the stage grows instead.
   */
  private static final int STAGE_ITEMS = 256;

  /**
   * The bytes of small frames a queue holds before it draws on the runtime's memory, and the step
   * in which it draws on it and gives back: one frame as large as those that draw on it alone.
   */
  static final int ALLOWANCE = FrameDecoder.ADMIT_ABOVE;

  /** The size, as offered here (with its 4-byte length field), over which a frame holds its own. */
  private static final int OWN_MEMORY_ABOVE = FrameDecoder.ADMIT_ABOVE + 4;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  private final int maxItems;
  private final long maxBytes;
  private final Runnable onRoom;
  private Object[] items = NO_ITEMS;
  private int[] sizes = NO_SIZES;
  private int head;
  private int count;
  private int working;
  private long bytes;
  private boolean full;
  private int waiters;

  /** The runtime's memory for received frames; null without one, or once the connection ended. */
  private ReceiveMemory memory;

  /**
   * What the queue keeps about that memory, made the first time it needs some or holds a frame that
   * has its own: an idle connection holds none (IdleScaleTest counts its bytes).
   */
  private Draw draw;

  /** A queue's share of the runtime's memory. Fields guarded by the queue's lock. */
  private static final class Draw {
    /** Made the first time the queue draws on the memory. */
    ReceiveMemory.Account account;

    /** Bytes drawn: the queue may hold {@code ALLOWANCE + reserved} bytes of small frames. */
    int reserved;

    /** True while the queue waits for a step of the memory: a release will grant it one. */
    boolean asked;

    /**
     * Bytes of the queued frames over {@link #OWN_MEMORY_ABOVE}, which hold memory of their own.
     */
    long ownBytes;

    /** The bytes held at which, as of the last publication, the queue must draw on the memory. */
    long drawAt = ALLOWANCE;
  }

  /** Set by every offer, cleared by {@link #trimIfIdle}. */
  private boolean offeredSinceTrim;

  /** Consumers looking actively for an item before they wait on {@link #notEmpty}. */
  private final AtomicInteger spinning = new AtomicInteger();

  /** Set by an offer while a consumer spins: what the spinning consumer looks at. */
  private volatile boolean offeredToSpinner;

  /** Items {@link #stage}d and not yet published; the offering thread's alone. */
  private Object[] stage = NO_ITEMS;

  private int[] stageSizes = NO_SIZES;
  private int staged;
  private long stagedBytes;

  /** Items stored into the stage's arrays since they were last replaced ({@link YoungArrays}). */
  private int storedSinceRenewal;

  /** Items and bytes held at the last publication: at least what is held now, staged aside. */
  private int usedAtPublish;

  private long bytesAtPublish;

  InboundQueue(int maxItems, long maxBytes, Runnable onRoom) {
    this(maxItems, maxBytes, onRoom, null);
  }

  /**
   * A queue that also draws on {@code memory}, the runtime's, for small frames (null: it does not).
   */
  InboundQueue(int maxItems, long maxBytes, Runnable onRoom, ReceiveMemory memory) {
    this.maxItems = maxItems;
    this.maxBytes = maxBytes;
    this.onRoom = onRoom;
    this.memory = memory;
  }

  /**
   * Adds an item whatever the limits, after those staged; returns false if the queue is now at or
   * over a limit. Publishes what was staged first; the loop's thread only, then.
   */
  boolean offer(Object item, int size) {
    lock.lock();
    try {
      publishLocked();
      add(item, size);
      wakeConsumer();
      return !full;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Adds an item, as {@link #offer}, but without taking the lock while it can tell that the queue
   * has room: the item waits in a stage that only the offering thread sees, until {@link #publish}.
   * The stage is published at once when it fills or when, with what the consumers held at the last
   * publication (they have only taken since), it reaches a limit; so the result is the same as
   * {@link #offer}'s. One thread only (the connection's event loop), which must publish before it
   * lets anything else happen in order after these items.
   */
  boolean stage(Object item, int size) {
    return stage(item, size, false);
  }

  /**
   * As {@link #stage(Object, int)}; if {@code keep}, because the consumer will take the staged
   * items from the offering thread itself ({@link #takeStaged}), a full stage grows instead of
   * being published. It is still published once it reaches a limit.
   */
  boolean stage(Object item, int size, boolean keep) {
    if (size > OWN_MEMORY_ABOVE) {
      return offer(item, size); // after those staged: counted apart, under the lock
    }
    if (staged == stage.length) {
      if (staged == 0 || keep) {
        growStage();
      } else {
        publish();
      }
    }
    if (staged == 0 && !keep && storedSinceRenewal >= YoungArrays.RENEW_STORES) {
      // a stage kept (keep) is renewed as it is taken, with the array it changes places with
      stage = new Object[stage.length];
      storedSinceRenewal = 0;
    }
    storedSinceRenewal++;
    stage[staged] = item;
    stageSizes[staged] = size;
    staged++;
    stagedBytes += size;
    long held = bytesAtPublish + stagedBytes;
    // a stage kept for a consumer on this thread is handed over whole at the end of the turn and
    // holds nothing past it: it draws on the runtime's memory only if it is published after all
    if (usedAtPublish + staged >= maxItems || held >= maxBytes || !keep && held >= drawAt()) {
      return publish(); // which draws on the runtime's memory if it must
    }
    return true;
  }

  private void growStage() {
    int capacity = Math.max(STAGE_ITEMS, stage.length * 2);
    stage = Arrays.copyOf(stage, capacity);
    if (stageSizes.length < capacity) {
      stageSizes = Arrays.copyOf(stageSizes, capacity);
    }
  }

  /** Returns how many items are staged; offering thread. */
  int stagedCount() {
    return staged;
  }

  /**
   * Hands the staged items to a consumer that runs on the offering thread, without moving them
   * through the ring, if nothing is queued before them: returns the array that holds them from
   * index 0 ({@link #stagedCount} of them, taken before this call), and stages into {@code spare}
   * from now on, which must hold nothing; every {@link YoungArrays#RENEW_STORES} items, into a new
   * array, and the items come in a new array too. Returns null, having published them instead, if
   * items are queued. The items then count against no limit, as those a consumer has drained do
   * not. Offering thread.
   */
  Object[] takeStaged(Object[] spare) {
    lock.lock();
    try {
      if (count > 0) {
        publishLocked();
        return null;
      }
      Object[] taken = stage;
      if (storedSinceRenewal >= YoungArrays.RENEW_STORES) {
        // both arrays that go round between the stage and its consumer (YoungArrays)
        taken = Arrays.copyOf(stage, stage.length);
        spare = new Object[stage.length];
        storedSinceRenewal = 0;
      }
      stage = spare;
      staged = 0;
      stagedBytes = 0;
      offeredSinceTrim = true;
      usedAtPublish = working;
      bytesAtPublish = 0;
      return taken;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns true if, as far as the offering thread can tell without the lock, the queue holds half
   * its limit or more. Offering thread.
   */
  boolean halfFull() {
    return usedAtPublish + staged >= maxItems / 2 || bytesAtPublish + stagedBytes >= maxBytes / 2;
  }

  /**
   * Moves the staged items into the queue under one lock and wakes a waiting consumer; returns
   * false if the queue is now at or over a limit. Offering thread.
   */
  boolean publish() {
    lock.lock();
    try {
      publishLocked();
      return !full;
    } finally {
      lock.unlock();
    }
  }

  private void publishLocked() {
    int n = staged;
    if (n > 0) {
      while (items.length - count < n) {
        grow();
      }
      int tail = head + count;
      if (tail >= items.length) {
        tail -= items.length;
      }
      int first = Math.min(n, items.length - tail);
      System.arraycopy(stage, 0, items, tail, first);
      System.arraycopy(stageSizes, 0, sizes, tail, first);
      System.arraycopy(stage, first, items, 0, n - first);
      System.arraycopy(stageSizes, first, sizes, 0, n - first);
      Arrays.fill(stage, 0, n, null);
      count += n;
      bytes += stagedBytes;
      offeredSinceTrim = true;
      updateFull();
      staged = 0;
      stagedBytes = 0;
      wakeConsumer();
    }
    usedAtPublish = count + working;
    bytesAtPublish = bytes;
    Draw d = draw;
    if (d != null) {
      d.drawAt = memory == null ? Long.MAX_VALUE : d.ownBytes + ALLOWANCE + d.reserved;
    }
  }

  /**
   * Returns the bytes held at which the queue must draw on the runtime's memory, as of the last
   * publication. Offering thread, without the lock: a stale answer only publishes sooner or later.
   */
  private long drawAt() {
    Draw d = draw;
    return d != null ? d.drawAt : memory != null ? ALLOWANCE : Long.MAX_VALUE;
  }

  private Draw draw() {
    if (draw == null) {
      draw = new Draw();
    }
    return draw;
  }

  private void add(Object item, int size) {
    if (count == items.length) {
      grow();
    }
    int tail = head + count;
    if (tail >= items.length) {
      tail -= items.length;
    }
    items[tail] = item;
    sizes[tail] = size;
    count++;
    bytes += size;
    if (size > OWN_MEMORY_ABOVE) {
      draw().ownBytes += size;
    }
    offeredSinceTrim = true;
    updateFull();
  }

  private void wakeConsumer() {
    if (waiters > 0) {
      notEmpty.signal();
    } else if (spinning.get() > 0) {
      offeredToSpinner = true;
    }
  }

  /**
   * Returns true while a limit is reached and reading should stay paused. A queue that waited for
   * the runtime's memory takes what a release granted it here.
   */
  boolean isFull() {
    lock.lock();
    try {
      if (full && !atLimit()) {
        full = false;
      }
      return full;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Moves up to {@code into.length} of the oldest items into {@code into} under one lock and
   * returns how many, so that the loop's offers and the consumer rarely contend.
   */
  int drain(Object[] into) {
    boolean room;
    int n;
    int surplus;
    ReceiveMemory.Account held;
    lock.lock();
    try {
      n = Math.min(count, into.length);
      int first = Math.min(n, items.length - head);
      System.arraycopy(items, head, into, 0, first);
      System.arraycopy(items, 0, into, first, n - first);
      Arrays.fill(items, head, head + first, null);
      Arrays.fill(items, 0, n - first, null);
      long taken = 0;
      long own = 0;
      for (int i = head; i < head + first; i++) {
        int size = sizes[i];
        taken += size;
        own += size > OWN_MEMORY_ABOVE ? size : 0;
      }
      for (int i = 0; i < n - first; i++) {
        int size = sizes[i];
        taken += size;
        own += size > OWN_MEMORY_ABOVE ? size : 0;
      }
      bytes -= taken;
      if (own > 0) {
        draw.ownBytes -= own;
      }
      count -= n;
      int next = head + n;
      head = count == 0 ? 0 : next >= items.length ? next - items.length : next;
      surplus = surplus();
      held = account();
      room = checkRoom();
    } finally {
      lock.unlock();
    }
    giveBack(held, surplus);
    if (room) {
      onRoom.run();
    }
    return n;
  }

  /**
   * Takes the oldest item, waiting up to {@code timeoutNanos} for one; returns null if none came in
   * time or once {@code stop} is true and the queue is empty.
   */
  Object poll(long timeoutNanos, BooleanSupplier stop) throws InterruptedException {
    // not on a loop, nor in a handler the loop runs: that one hands the loop on before it waits
    if (timeoutNanos > 0 && !EventLoop.onAnyLoop() && !EventLoop.runsHandlerHere()) {
      spinForItem(Math.min(timeoutNanos, HandlerPool.SPIN_NANOS), stop);
    }
    Object item;
    boolean room;
    int surplus;
    ReceiveMemory.Account held;
    lock.lockInterruptibly();
    try {
      while (count == 0) {
        if (timeoutNanos <= 0 || stop.getAsBoolean()) {
          return null;
        }
        EventLoop.refuseToWaitOnLoop("waiting for a message");
        waiters++;
        try {
          timeoutNanos = notEmpty.awaitNanos(timeoutNanos);
        } finally {
          waiters--;
        }
      }
      item = take();
      surplus = surplus();
      held = account();
      room = checkRoom();
    } finally {
      lock.unlock();
    }
    giveBack(held, surplus);
    if (room) {
      onRoom.run();
    }
    return item;
  }

  /**
   * Looks actively ({@link Spin}) for an item for up to {@code nanos} before {@link #poll} waits on
   * the condition, as a {@code ResponseFuture} does for a response.
   */
  private void spinForItem(long nanos, BooleanSupplier stop) {
    offeredToSpinner = false;
    spinning.incrementAndGet();
    try {
      lock.lock();
      try {
        if (count > 0) {
          return; // an offer before this consumer was counted as spinning
        }
      } finally {
        lock.unlock();
      }
      Spin.until(() -> offeredToSpinner || stop.getAsBoolean(), nanos);
    } finally {
      spinning.decrementAndGet();
    }
  }

  /** Counts a taken request as work in progress until {@link #finishWork}. */
  void startWork() {
    lock.lock();
    try {
      working++;
      updateFull();
    } finally {
      lock.unlock();
    }
  }

  /** Ends a piece of work started with {@link #startWork}. */
  void finishWork() {
    boolean room;
    lock.lock();
    try {
      working--;
      room = checkRoom();
    } finally {
      lock.unlock();
    }
    if (room) {
      onRoom.run();
    }
  }

  /** Wakes consumers waiting in {@link #poll}; call after making their stop condition true. */
  void wakeAll() {
    lock.lock();
    try {
      notEmpty.signalAll();
    } finally {
      lock.unlock();
    }
  }

  int size() {
    lock.lock();
    try {
      return count;
    } finally {
      lock.unlock();
    }
  }

  boolean isEmpty() {
    return size() == 0;
  }

  /**
   * Drops every queued item, staged ones too, handing each to {@code dropped}, and returns how many
   * there were. Offering thread.
   */
  int clear(java.util.function.Consumer<Object> dropped) {
    int surplus;
    ReceiveMemory.Account held;
    int n;
    lock.lock();
    try {
      publishLocked();
      n = count;
      while (count > 0) {
        dropped.accept(take());
      }
      surplus = surplus();
      held = account();
    } finally {
      lock.unlock();
    }
    giveBack(held, surplus);
    return n;
  }

  /**
   * Gives back what this queue drew on the runtime's memory, and draws no more: the connection has
   * ended. What it still holds is left to its consumer.
   */
  void endMemory() {
    ReceiveMemory.Account held;
    lock.lock();
    try {
      memory = null;
      held = null;
      if (draw != null) {
        held = draw.account;
        draw.reserved = 0;
        draw.asked = false; // the account's close gives back a grant, now or when it comes
        draw.drawAt = Long.MAX_VALUE;
      }
    } finally {
      lock.unlock();
    }
    if (held != null) {
      held.close();
    }
  }

  /** Returns the bytes this queue has drawn on the runtime's memory. */
  int reserved() {
    lock.lock();
    try {
      return draw == null ? 0 : draw.reserved;
    } finally {
      lock.unlock();
    }
  }

  private void updateFull() {
    if (atLimit()) {
      full = true;
    }
  }

  /** Returns true, once, when the queue was full and has room again. Lock held. */
  private boolean checkRoom() {
    if (full && !atLimit()) {
      full = false;
      return true;
    }
    return false;
  }

  /**
   * The bytes of the queued small frames: those that do not hold memory of their own. Lock held.
   */
  private long smallBytes() {
    return draw == null ? bytes : bytes - draw.ownBytes;
  }

  /** This queue's account of the runtime's memory, or null if it never drew on it. Lock held. */
  private ReceiveMemory.Account account() {
    return draw == null ? null : draw.account;
  }

  /** Returns true if a bound is reached: count, bytes, or the runtime's memory. Lock held. */
  private boolean atLimit() {
    return count + working >= maxItems || bytes >= maxBytes || !drawFor(smallBytes());
  }

  /**
   * Returns true if the queue may hold {@code small} bytes of small frames: within its allowance,
   * or once it has drawn enough on the runtime's memory, a step at a time. False while that memory
   * has nothing free; a release that makes room for the step runs {@code onRoom}. Lock held.
   */
  private boolean drawFor(long small) {
    if (small < ALLOWANCE || memory == null) {
      return true;
    }
    Draw d = draw();
    while (small >= ALLOWANCE + (long) d.reserved) {
      if (d.account == null) {
        d.account = memory.account(onRoom);
      }
      long drawn = d.account.reserve(ALLOWANCE);
      d.asked = drawn < 0;
      if (drawn < 0) {
        return false;
      }
      if (drawn == 0) {
        return true; // the account was closed: the connection has ended
      }
      d.reserved += (int) drawn;
    }
    return true;
  }

  /**
   * Takes out of {@link Draw#reserved} what the queue no longer needs and returns it, for the
   * caller to give back once it let go of the lock: all of it once no small frame waits, else all
   * but a step more than it holds, so that a steady flow does not draw and give back at every step.
   * A queue that waited for a step and no longer needs one leaves the line. Lock held.
   */
  private int surplus() {
    Draw d = draw;
    if (d == null || d.reserved == 0 && !d.asked) {
      return 0;
    }
    long small = smallBytes();
    if (d.asked && small < ALLOWANCE + (long) d.reserved) {
      d.asked = false; // taken from meanwhile: what it waited for would only be held idle
      d.account.withdraw();
    }
    long needed = small == 0 ? 0 : Math.max(0, small + 1 - ALLOWANCE);
    long kept = small == 0 ? 0 : (needed + ALLOWANCE - 1) / ALLOWANCE * ALLOWANCE + ALLOWANCE;
    if (d.reserved <= kept) {
      return 0;
    }
    int surplus = (int) (d.reserved - kept);
    d.reserved -= surplus;
    return surplus;
  }

  private static void giveBack(ReceiveMemory.Account account, int bytes) {
    if (bytes > 0) {
      account.release(bytes);
    }
  }

  private Object take() {
    Object item = items[head];
    items[head] = null;
    int size = sizes[head];
    bytes -= size;
    if (size > OWN_MEMORY_ABOVE) {
      draw.ownBytes -= size;
    }
    if (++head == items.length) {
      head = 0;
    }
    count--;
    if (count == 0) {
      head = 0;
    }
    return item;
  }

  /**
   * Gives the ring's arrays back if the queue is empty and nothing was offered since the previous
   * call, and returns true if so; offering thread. Dropping them whenever the queue ran empty
   * instead made every burst grow them again from 16 slots: about 11 bytes of garbage per message
   * on a busy connection.
   */
  boolean trimIfIdle() {
    lock.lock();
    try {
      boolean idle = count == 0 && !offeredSinceTrim;
      if (idle) {
        items = NO_ITEMS;
        sizes = NO_SIZES;
        head = 0;
        if (staged == 0) {
          stage = NO_ITEMS;
          stageSizes = NO_SIZES;
        }
      }
      offeredSinceTrim = false;
      return idle;
    } finally {
      lock.unlock();
    }
  }

  private void grow() {
    int capacity = items.length == 0 ? 16 : items.length * 2;
    Object[] biggerItems = new Object[capacity];
    int[] biggerSizes = new int[capacity];
    for (int i = 0; i < count; i++) {
      int from = (head + i) % items.length;
      biggerItems[i] = items[from];
      biggerSizes[i] = sizes[from];
    }
    items = biggerItems;
    sizes = biggerSizes;
    head = 0;
  }
}
