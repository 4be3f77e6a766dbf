package dev.tether.internal.engine;

import dev.tether.TetherTimeoutException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The requests this side has sent and not yet seen answered: their futures by request id, each with
 * its timeout as a timer on the connection's loop. A request's timer is added to the loop without a
 * task or a wake-up (see {@link EventLoop#addTimer}) and removed the moment its response arrives,
 * so completed requests leave nothing behind. A request the application stops waiting for, by
 * completing or cancelling its future itself ({@code cancel}, {@code orTimeout}, {@code complete}),
 * is forgotten at once, its timer with it; its late response is then one for an unknown id.
 *
 * <p>Thread safe: requests are added on callers' threads and completed on the loop.
 */
final class Requests {
  private static final VarHandle NEXT_ID;

  static {
    try {
      NEXT_ID = MethodHandles.lookup().findVarHandle(Requests.class, "nextId", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final EventLoop loop;
  private final Executor executor;
  private final String peerName;
  private final boolean keepMessages;

  /** Guarded by itself: one short lock per request sent and per response, no entry allocated. */
  private final LongTable<Pending> pending = new LongTable<>();

  /** The last request id given; a field rather than an AtomicLong, one object less. */
  private volatile long nextId;

  /** One outstanding request: its future and its timeout. */
  final class Pending extends EventLoop.AddedTimer {
    final long id;
    final RequestFuture future;

    /**
     * Kept until answered if the connection reconnects: the server that comes back after a shutdown
     * is asked again what the one that shut down did not process; null otherwise, so that a
     * request's message can go once it is encoded.
     */
    final Object message;

    private final String what;
    private final long timeoutMillis;

    /**
     * Set, under the table's lock, once the request left the table: a completion that reads it need
     * not take the lock again (one that reads it late takes the lock and finds nothing).
     */
    boolean forgotten;

    private Pending(long id, Object message, long timeoutMillis) {
      this.id = id;
      this.message = keepMessages ? message : null;
      this.what = message.getClass().getSimpleName();
      this.timeoutMillis = timeoutMillis;
      this.future = new RequestFuture(executor, this);
    }

    /** The application completed the future: forget the request, stop its timer. */
    void onGivenUp() {
      if (forget(this)) {
        if (loop.inLoop()) {
          loop.cancel(this);
        } else {
          loop.execute(() -> loop.cancel(this));
        }
      }
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
    long id = (long) NEXT_ID.getAndAdd(this, 1L) + 1;
    Pending p = new Pending(id, message, timeoutNanos / 1_000_000);
    synchronized (pending) {
      pending.put(id, p);
    }
    loop.addTimer(p, Deadlines.after(System.nanoTime(), timeoutNanos));
    return p;
  }

  /** Forgets a request that was never sent, stopping its timer; any thread. */
  void abandon(Pending p) {
    p.onGivenUp();
  }

  /** Takes the request a response answers, stopping its timer; null if unknown. Loop thread. */
  Pending take(long id) {
    Pending p;
    synchronized (pending) {
      p = pending.remove(id);
      if (p != null) {
        p.forgotten = true;
      }
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
      p.forgotten = true;
      return pending.remove(p.id, p);
    }
  }

  private long[] ids() {
    synchronized (pending) {
      return pending.keys();
    }
  }

  /**
   * A request's future, which tells its request when it is completed by anyone but the connection;
   * the connection's own completions find the request already forgotten.
   */
  static final class RequestFuture extends ResponseFuture.Watched<Object> {
    private final Pending pending;

    RequestFuture(Executor executor, Pending pending) {
      super(executor);
      this.pending = pending;
    }

    @Override
    void onCompleted() {
      if (!pending.forgotten) {
        pending.onGivenUp();
      }
    }
  }
}
