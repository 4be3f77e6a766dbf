package dev.tether.internal.engine;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Watches the event loops of a group that run handlers themselves (the default, see {@link
 * EventLoop#runHandlersSoon}): a handler call that makes no progress for a whole tick is taken to
 * block, and its loop is handed to a fresh thread ({@link EventLoop#handOff}) so that the loop's
 * other connections go on. Go's runtime does the same for a goroutine stuck in a system call (its
 * {@code sysmon} retakes the processor); here it turns "a handler must never block the loop" from a
 * rule the user must keep into a cost of at most two ticks, paid once.
 *
 * <p>One thread for all loops, which ticks only while handlers ran in the last {@link #IDLE_TICKS}
 * ticks and otherwise parks until a loop starts a handler, so idle connections cost nothing here.
 */
final class HandlerWatch implements Runnable {
  /** How often loops running a handler are looked at; a call waiting this long is handed off. */
  static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  /**
   * Ticks after which a handler call is handed off even though its thread is runnable: it computes
   * for long, or waits in a system call (a socket read reports RUNNABLE). Not after one tick, since
   * on a busy machine a runnable thread may simply not have had a processor for a while.
   */
  static final int RUNNABLE_TICKS = 10;

  /** Ticks without any handler call before the watch parks. */
  private static final int IDLE_TICKS = 100;

  private final EventLoop[] loops;
  private final long[] lastProgress;
  private final boolean[] wasRunning;
  private final int[] stuckTicks;
  private final Thread thread;
  private volatile boolean parked;
  private volatile boolean stopped;

  HandlerWatch(EventLoop[] loops, String name) {
    this.loops = loops;
    this.lastProgress = new long[loops.length];
    this.wasRunning = new boolean[loops.length];
    this.stuckTicks = new int[loops.length];
    this.thread = new Thread(this, name);
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  void stop() {
    stopped = true;
    LockSupport.unpark(thread);
  }

  /** Called by a loop after it has started a handler call: makes sure the watch is ticking. */
  void busy() {
    if (parked) {
      parked = false;
      LockSupport.unpark(thread);
    }
  }

  @Override
  public void run() {
    int idleTicks = 0;
    while (!stopped) {
      if (look()) {
        idleTicks = 0;
      } else if (++idleTicks >= IDLE_TICKS) {
        sleepUntilBusy();
        idleTicks = 0;
        continue;
      }
      LockSupport.parkNanos(this, TICK_NANOS);
    }
  }

  /**
   * Hands off every loop whose handler call has waited since the last look, or has run for {@link
   * #RUNNABLE_TICKS}; returns true if any loop ran a handler.
   */
  private boolean look() {
    boolean active = false;
    for (int i = 0; i < loops.length; i++) {
      EventLoop loop = loops[i];
      long progress = loop.handlerProgress();
      boolean running = loop.inHandler();
      if (running && wasRunning[i] && progress == lastProgress[i]) {
        stuckTicks[i]++;
        if ((stuckTicks[i] >= RUNNABLE_TICKS || loop.handlerWaits()) && loop.handOff()) {
          running = false;
        }
      } else {
        stuckTicks[i] = 0;
      }
      active |= running || progress != lastProgress[i];
      lastProgress[i] = progress;
      wasRunning[i] = running;
    }
    return active;
  }

  /**
   * Parks until a loop calls {@link #busy}. The flag is published before the loops are looked at
   * once more, and a loop publishes its handler call before it reads the flag, so one of the two
   * always sees the other.
   */
  private void sleepUntilBusy() {
    parked = true;
    for (EventLoop loop : loops) {
      if (loop.inHandler()) {
        parked = false;
        break;
      }
    }
    java.util.Arrays.fill(wasRunning, false);
    while (parked && !stopped) {
      LockSupport.park(this);
    }
  }
}
