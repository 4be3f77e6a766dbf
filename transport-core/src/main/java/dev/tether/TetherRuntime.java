package dev.tether;

import dev.tether.internal.engine.LoopGroup;
import dev.tether.internal.engine.ReceiveMemory;
import dev.tether.internal.engine.SendMemory;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * The threads Tether runs on: event loops that move bytes (one selector each) and the executor that
 * runs handlers. By default a loop runs its connections' handlers itself, with no thread hand-off,
 * until one blocks; that connection's handlers then run on the runtime's pool for a while and the
 * loop goes on in a new thread (see {@link TetherConfig#HANDLER_POOL}). Servers and clients built
 * without a runtime share {@link #shared()}, created on first use with one loop per core (2 to 8)
 * and a pool of daemon threads; nothing needs configuring. Build your own to size the loops, to run
 * handlers on your executor, or to stop every thread when a component shuts down, and share it
 * between servers and clients:
 *
 * <pre>{@code
 * try (TetherRuntime runtime = TetherRuntime.builder().eventLoops(2).build()) {
 *   Server<Msg, Msg> server = Tether.<Msg, Msg>server(types).runtime(runtime).bind(address);
 *   Connection<Msg, Msg> peer = Tether.<Msg, Msg>client(types).runtime(runtime).connect(other);
 *   ...
 * } // closes the server, the connection and the threads
 * }</pre>
 *
 * <p>Thread safe.
 */
public final class TetherRuntime implements AutoCloseable {
  private static final TetherRuntime SHARED = new TetherRuntime(LoopGroup.shared());

  private final LoopGroup group;

  private TetherRuntime(LoopGroup group) {
    this.group = group;
  }

  /** Returns the runtime used when none is given; it lives as long as the JVM. */
  public static TetherRuntime shared() {
    return SHARED;
  }

  /** Returns a builder for a runtime of one's own. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the number of event loops. */
  public int eventLoops() {
    return group.loopCount();
  }

  /** Returns the executor handlers run on unless a connection's config names another. */
  public Executor handlerExecutor() {
    return group.handlerExecutor();
  }

  /**
   * Returns the memory this runtime's connections together may hold for received frames over 64
   * KiB, and for the smaller ones each connection queues beyond its first 64 KiB; see {@link
   * Builder#largeMessageMemory}.
   */
  public long largeMessageMemory() {
    return group.receiveMemory().capacity();
  }

  /**
   * Returns the bytes of {@link #largeMessageMemory()} held now by frames being received or
   * handled, and by connections' queues of small frames waiting for their handlers.
   */
  public long largeMessageMemoryInUse() {
    return group.receiveMemory().used();
  }

  /**
   * Returns the memory this runtime's connections together may hold for frames over 64 KiB that
   * they send, and for smaller ones past each connection's first 128 KiB; see {@link
   * Builder#largeMessageSendMemory}.
   */
  public long largeMessageSendMemory() {
    return group.sendMemory().capacity();
  }

  /**
   * Returns the bytes of {@link #largeMessageSendMemory()} held now by frames queued to be written,
   * waiting for room, or kept for replay until the peer acknowledges them.
   */
  public long largeMessageSendMemoryInUse() {
    return group.sendMemory().used();
  }

  /** Returns true once {@link #close()} was called. */
  public boolean isClosed() {
    return group.isClosed();
  }

  /**
   * Stops the runtime: its servers stop listening, its connections close at once (their close
   * handlers run and their {@code onClose} stages complete), the loop threads end and the handler
   * pool the runtime created is shut down. Waits up to 5 seconds in all for the loop threads and
   * the pool's threads to end (a handler running on a loop thread hands its loop on first, so that
   * the loop can stop; a handler still running holds its pool thread). Closing a server or
   * connection gracefully first is the caller's business. Idempotent.
   *
   * @throws IllegalStateException for {@link #shared()}, which cannot be closed
   */
  @Override
  public void close() {
    try {
      group.close(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The engine behind this runtime; for the builders. */
  LoopGroup group() {
    return group;
  }

  @Override
  public String toString() {
    return "TetherRuntime[" + group.loopCount() + " event loops" + (isClosed() ? ", closed]" : "]");
  }

  /** Builds a {@link TetherRuntime}; not thread safe. */
  public static final class Builder {
    private int eventLoops = LoopGroup.defaultLoopCount();
    private Executor handlerExecutor;
    private String threadNamePrefix = "tether";
    private Duration pollBeforeSleep = LoopGroup.DEFAULT_POLL_BEFORE_SLEEP;
    private long largeMessageMemory = ReceiveMemory.defaultCapacity();
    private long largeMessageSendMemory = SendMemory.defaultCapacity();

    private Builder() {}

    /**
     * Sets the number of event loops; the default is one per core, 2 to 8.
     *
     * @throws IllegalArgumentException if {@code count} is below 1
     */
    public Builder eventLoops(int count) {
      if (count < 1) {
        throw new IllegalArgumentException("at least one event loop is needed, not " + count);
      }
      this.eventLoops = count;
      return this;
    }

    /**
     * Runs handlers on {@code executor} instead of the runtime's loops and pool; the runtime does
     * not shut it down. Each connection's handler calls stay serialised.
     */
    public Builder handlerExecutor(Executor executor) {
      this.handlerExecutor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Names the threads {@code prefix-loop-N}, {@code prefix-handler-N} and {@code prefix-watch}
     * (the thread that hands a loop on when a handler blocks it); a loop thread caught in a
     * blocking handler is renamed {@code prefix-loop-N-handler}.
     */
    public Builder threadNamePrefix(String prefix) {
      this.threadNamePrefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    /**
     * Sets how long an event loop that has just served a socket keeps polling its sockets before it
     * sleeps; the default is 50 µs. Traffic that comes back within that time (the next request of a
     * client waiting for each response, the next batch of a stream or a pipelined exchange) then
     * finds the loop awake, instead of waiting for the scheduler to wake it, which costs tens of
     * microseconds on virtual machines; in two-JVM benchmarks here it cut the round trip from 33 to
     * 16-28 µs and raised pipelined echo by about a third. The price is CPU: a loop whose traffic
     * comes every few tens of microseconds stays busy, though it yields to any other thread that
     * wants its core. {@link Duration#ZERO} makes loops sleep as soon as they run out of work, as
     * Netty's do.
     *
     * @throws IllegalArgumentException if {@code poll} is negative or over 10 ms
     */
    public Builder pollBeforeSleep(Duration poll) {
      Objects.requireNonNull(poll, "poll");
      if (poll.isNegative() || poll.compareTo(Duration.ofMillis(10)) > 0) {
        throw new IllegalArgumentException("pollBeforeSleep must be 0 to 10 ms, not " + poll);
      }
      this.pollBeforeSleep = poll;
      return this;
    }

    /**
     * Sets how much memory the runtime's connections together may hold for received frames over 64
     * KiB; the default is an eighth of the maximum heap ({@code -Xmx}), since a large message costs
     * a few times its size on its way (gathered, decoded, often answered with one as large). Each
     * connection's own limits ({@link TetherConfig.Builder#maxFrameBytes}, the inbound queue's)
     * bound one connection; this bounds their sum, so that many peers sending large messages at
     * once cannot exhaust the heap. A large frame's whole length is set aside when its header
     * arrives, before its body is gathered, and given back once the handler it went to returns (a
     * {@code receive} takes it, the response it was is decoded, or it is dropped). While nothing is
     * left, a connection about to receive a large frame stops reading, so that its peer's sends
     * wait (TCP backpressure), and reads again as soon as another connection's large frame is given
     * back. A frame is let in whenever anything at all is free, so one larger than this limit still
     * gets through, and the sum exceeds the limit by at most one frame.
     *
     * <p>Smaller frames draw on the same memory once they pile up: a connection's received messages
     * and requests waiting for its handler (or for {@code receive}) hold up to 64 KiB of their own,
     * and beyond that only as much as the connection has drawn from this memory, 64 KiB at a time,
     * given back as its handler takes them. So many connections whose handlers all fall behind hold
     * this limit between them, and 64 KiB each, rather than each its {@link
     * TetherConfig#maxQueuedInboundBytes}; a connection that finds nothing left stops reading as
     * above, while one whose handler keeps up never draws on it.
     *
     * <p>A handler that keeps a large message for a long time (blocks, or waits for a response from
     * another connection of the same runtime) keeps its share meanwhile: size this limit for the
     * large messages handled at once, not only for those in transit. The same goes for a handler
     * that stops taking small messages while its connection's queue holds more than 64 KiB.
     *
     * @throws IllegalArgumentException if {@code bytes} is below 1
     */
    public Builder largeMessageMemory(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException(
            "largeMessageMemory must be at least 1 byte, not " + bytes);
      }
      this.largeMessageMemory = bytes;
      return this;
    }

    /**
     * Sets how much memory the runtime's connections together may hold for frames over 64 KiB that
     * they send, and for smaller frames past the first 128 KiB of them each connection holds:
     * queued to be written, waiting for room ({@code sendAsync}), or written and kept for replay
     * until a resumable connection's peer acknowledges them. The default is an eighth of the
     * maximum heap ({@code -Xmx}), apart from {@link #largeMessageMemory}. Each connection's {@link
     * TetherConfig.Builder#maxQueuedOutboundBytes} bounds one connection (and lets one frame larger
     * than itself in); this bounds their sum, so that a server answering many peers with large
     * messages, or broadcasting to many peers that stopped reading, faster than they read, cannot
     * exhaust the heap.
     *
     * <p>While nothing is left, a large frame waits its turn (first come, first served) before it
     * is queued: {@code send}, {@code request} and a handler's response wait, on the sending
     * thread, for as long as the send timeout while none of this memory is given back, then fail
     * with a {@link dev.tether.TetherTimeoutException} that says so (with {@link
     * dev.tether.ConnectionClosedException} at once if the connection closes meanwhile); {@code
     * trySend} returns {@link dev.tether.SendResult#BACK_PRESSURED} and {@code sendAsync} fails at
     * once. A default handler that waits hands its event loop on first; an event loop itself never
     * waits, so a send there is refused as {@code trySend} is (its exception names this limit), and
     * the frames the transport owes are counted all the same. As for receiving, a frame is let in
     * whenever anything at all is free, so one larger than this limit still goes out.
     *
     * <p>Frames of 64 KiB or less take none of it while a connection holds less than 128 KiB of
     * them, so a connection whose peer keeps up never touches it. Past that, the connection takes
     * it in chunks of 64 KiB as its queue grows and gives them back as the queue drains; while
     * nothing is free, the connection counts as full ({@link dev.tether.Connection#isWritable} is
     * false once a message was refused for it): {@code trySend} returns {@link
     * dev.tether.SendResult#BACK_PRESSURED}, {@code sendAsync} fails at once, {@code send} waits
     * its turn as above, and on an event loop a send is refused; the transport's own frames
     * (responses of handlers on the loop, error responses) are counted without waiting. A
     * connection's memory is given back when it closes.
     *
     * <p>A handler that waits here keeps the large message it handles, and with it its share of
     * {@link #largeMessageMemory}. Two runtimes whose handlers answer each other's large messages
     * faster than either reads can each end up waiting for the other to read; the send timeout ends
     * that wait (the send fails, naming this limit). Size both limits for the large messages in
     * flight at once.
     *
     * @throws IllegalArgumentException if {@code bytes} is below 1
     */
    public Builder largeMessageSendMemory(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException(
            "largeMessageSendMemory must be at least 1 byte, not " + bytes);
      }
      this.largeMessageSendMemory = bytes;
      return this;
    }

    /** Starts the runtime's event loops. */
    public TetherRuntime build() {
      return new TetherRuntime(
          new LoopGroup(
              eventLoops,
              handlerExecutor,
              threadNamePrefix,
              pollBeforeSleep,
              largeMessageMemory,
              largeMessageSendMemory));
    }
  }
}
