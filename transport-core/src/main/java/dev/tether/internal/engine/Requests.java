package dev.tether.internal.engine;

import dev.tether.TetherTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The requests this side has sent and not yet seen answered: their futures by request id, each with
 * its timeout as a timer on the connection's loop. A request's timer is added to the loop without a
 * task or a wake-up (see {@link EventLoop#addTimer}) and removed the moment its response arrives,
 * so completed requests leave nothing behind.
 *
 * <p>Thread safe: requests are added on callers' threads and completed on the loop.
 */
final class Requests {
  private final EventLoop loop;
  private final Executor executor;
  private final String peerName;
  private final boolean keepMessages;

  /** Guarded by itself: one short lock per request sent and per response, no entry allocated. */
  private final LongTable<Pending> pending = new LongTable<>();

  private final AtomicLong nextId = new AtomicLong();

  /** One outstanding request: its future and its timeout. */
  final class Pending extends EventLoop.AddedTimer {
    final long id;
    final ResponseFuture<Object> future;

    /**
     * Kept until answered if the connection reconnects: the server that comes back after a shutdown
     * is asked again what the one that shut down did not process; null otherwise, so that a
     * request's message can go once it is encoded.
     */
    final Object message;

    private final String what;
    private final long timeoutMillis;

    private Pending(long id, Object message, long timeoutMillis) {
      this.id = id;
      this.message = keepMessages ? message : null;
      this.what = message.getClass().getSimpleName();
      this.timeoutMillis = timeoutMillis;
      this.future = new ResponseFuture<>(executor);
    }

    /** Names the request for errors: {@code request #7 (Get)}. */
    String describe() {
      return "request #" + id + " (" + what + ")";
    }

    @Override
    boolean isLive() {
      return !future.isDone();
    }

    @Override
    void onTimer(long now) {
      if (forget(this)) {
        future.completeExceptionally(
            new TetherTimeoutException(
                "no response to request #"
                    + id
                    + " ("
                    + what
                    + ") from "
                    + peerName
                    + " within "
                    + timeoutMillis
                    + " ms"));
      }
    }
  }

  /**
   * @param keepMessages whether each request keeps its message until answered, to be sent again (a
   *     reconnecting client's)
   */
  Requests(EventLoop loop, Executor executor, String peerName, boolean keepMessages) {
    this.loop = loop;
    this.executor = executor;
    this.peerName = peerName;
    this.keepMessages = keepMessages;
  }

  /** Registers a new request, with its timeout running from now; any thread. */
  Pending register(Object message, long timeoutNanos) {
    long id = nextId.incrementAndGet();
    Pending p = new Pending(id, message, timeoutNanos / 1_000_000);
    synchronized (pending) {
      pending.put(id, p);
    }
    loop.addTimer(p, Deadlines.after(System.nanoTime(), timeoutNanos));
    return p;
  }

  /** Forgets a request that was never sent; any thread. */
  void abandon(Pending p) {
    forget(p);
    if (loop.inLoop()) {
      loop.cancel(p);
    }
  }

  /** Takes the request a response answers, stopping its timer; null if unknown. Loop thread. */
  Pending take(long id) {
    Pending p;
    synchronized (pending) {
      p = pending.remove(id);
    }
    if (p != null) {
      loop.cancel(p);
    }
    return p;
  }

  /** Fails every outstanding request with {@code cause}. Loop thread. */
  void failAll(RuntimeException cause) {
    failAll(id -> cause);
  }

  /** Fails every outstanding request with a cause made for each. Loop thread. */
  void failAll(java.util.function.LongFunction<RuntimeException> cause) {
    for (long id : ids()) {
      Pending p = take(id);
      if (p != null) {
        p.future.completeExceptionally(cause.apply(id));
      }
    }
  }

  /** Returns the outstanding requests, oldest first. Loop thread. */
  List<Pending> outstanding() {
    synchronized (pending) {
      long[] ids = pending.keys();
      Arrays.sort(ids);
      List<Pending> outstanding = new ArrayList<>(ids.length);
      for (long id : ids) {
        outstanding.add(pending.get(id));
      }
      return outstanding;
    }
  }

  int size() {
    synchronized (pending) {
      return pending.size();
    }
  }

  private boolean forget(Pending p) {
    synchronized (pending) {
      return pending.remove(p.id, p);
    }
  }

  private long[] ids() {
    synchronized (pending) {
      return pending.keys();
    }
  }
}
