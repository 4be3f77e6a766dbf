package dev.tether;

import dev.tether.codec.CodecLimits;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Limits, timeouts and codec choices for connections; immutable. Start from {@link #defaults()} or
 * {@link #builder()}.
 *
 * @param codecs codec names: for a client, the ones it offers, most preferred first; for a server,
 *     the ones it accepts. Empty means every codec on the class path, in alphabetical order
 * @param nodeId this side's node id, announced in the handshake; 0 = anonymous
 * @param maxFrameBytes the largest frame this side accepts; the peer never sends a larger one
 * @param heartbeatInterval how often to PING when nothing else was sent; zero disables
 * @param idleTimeout close with IDLE_TIMEOUT when nothing was received for this long; zero disables
 * @param handshakeTimeout how long a connection may take to complete its handshake
 * @param connectTimeout how long a client waits for the TCP or UDS connect itself
 * @param drainTimeout how long a graceful close waits for queued messages and the peer's GOAWAY
 * @param sendTimeout how long {@link Connection#send} waits while the outbound queue is full and
 *     nothing of it is written: the time runs from the last progress, so a slow but steady peer
 *     never times a sender out
 * @param requestTimeout how long {@link Connection#request} waits for the response
 * @param maxQueuedOutboundBytes the outbound queue's size; a single message larger than this is
 *     still accepted when the queue is empty. It bounds each connection alone; past the first 128
 *     KiB, what a connection queues also takes the runtime's shared {@link
 *     TetherRuntime.Builder#largeMessageSendMemory}, and a send is refused (or waits) while that is
 *     all taken, so that a server whose clients all stop reading does not hold this much for each
 *     of them
 * @param maxQueuedInboundMessages received messages waiting for the handler before reading stops
 * @param maxQueuedInboundBytes received bytes waiting for the handler before reading stops, on each
 *     connection. Beyond its first 64 KiB a connection also needs as much from the runtime's shared
 *     {@link TetherRuntime.Builder#largeMessageMemory} (which frames over 64 KiB draw on whole): a
 *     server whose handlers fall behind on every connection holds that memory between them, and 64
 *     KiB each, and a connection that finds it spent stops reading before it reaches this bound
 * @param handlerExecutor where handlers run. Null, the default, runs them on the connection's event
 *     loop while they do not block, and on the runtime's handler pool once one did (see {@link
 *     TetherRuntime}); {@link #HANDLER_POOL} always on that pool; {@link #EVENT_LOOP} always on the
 *     loop. Each connection's handler calls are serialised whichever executor is used. An executor
 *     that runs each task where it is given ({@code Runnable::run}) runs them on the loop too,
 *     where a send never waits, so delivery stops while the outbound queue is over its bound, as
 *     with {@link #EVENT_LOOP}, which is still the better choice: only it answers pipelined batches
 *     in slices. An executor of the application's that refuses work (shut down, or saturated with
 *     an abort policy) fails the connection with {@link GoAwayCode#INTERNAL_ERROR}, saying so; its
 *     close handler then runs on the runtime's pool
 * @param handlerFailurePolicy what a connection does when its message or connection handler throws
 * @param codecLimits the bounds every codec applies to one message on both ends (depth, elements,
 *     elements sharing a hash): the encoder refuses what the decoder would. Both peers must use the
 *     same; {@link CodecLimits#defaults()} by default
 */
public record TetherConfig(
    List<String> codecs,
    long nodeId,
    int maxFrameBytes,
    Duration heartbeatInterval,
    Duration idleTimeout,
    Duration handshakeTimeout,
    Duration connectTimeout,
    Duration drainTimeout,
    Duration sendTimeout,
    Duration requestTimeout,
    int maxQueuedOutboundBytes,
    int maxQueuedInboundMessages,
    int maxQueuedInboundBytes,
    Executor handlerExecutor,
    HandlerFailurePolicy handlerFailurePolicy,
    CodecLimits codecLimits) {

  /**
   * Runs handlers on the connection's event loop, as Netty does: no thread hand-off per message, so
   * the lowest latency, but a handler must then never block. On an event-loop thread {@link
   * Connection#send} never waits: it queues the message when the queue has room, and the connection
   * stops delivering to the handler (and so stops reading) while its outbound queue is over its
   * bound; a send that finds the queue more than twice over its bound fails at once. Request
   * handlers' responses are always queued. Use it through {@link Builder#handlersOnEventLoop()}; it
   * is not a general-purpose executor.
   */
  public static final Executor EVENT_LOOP =
      new Executor() {
        @Override
        public void execute(Runnable command) {
          command.run();
        }

        @Override
        public String toString() {
          return "TetherConfig.EVENT_LOOP";
        }
      };

  /**
   * Always runs handlers on the runtime's handler pool, one thread hand-off per delivery: for
   * handlers that usually block (a database call per message, say). The default ({@code null}) runs
   * handlers on the connection's event loop, which saves that hand-off, for as long as they do not
   * block. A handler that waits for Tether (to send into a full queue, for a response, for a
   * message, for a close) makes the loop go on in a new thread at once; one that waits for anything
   * else (a lock, a sleep, a future) after 2 to 4 ms; one that stays runnable (computing, or in a
   * socket read) after about 20 ms. Its connection's handlers then run on the pool, for 10 ms the
   * first time and twice as long each time it happens again, up to 10 s. The loop's other
   * connections are held up that long, once; with this executor, never. Use it through {@link
   * Builder#handlersOnPool()}; it is not a general-purpose executor.
   */
  public static final Executor HANDLER_POOL =
      new Executor() {
        @Override
        public void execute(Runnable command) {
          throw new UnsupportedOperationException("a marker: connections use the runtime's pool");
        }

        @Override
        public String toString() {
          return "TetherConfig.HANDLER_POOL";
        }
      };

  /** 16 MiB: large enough for most messages, small enough that a bad peer cannot hurt. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

  /** The largest frame limit: the whole frame, length field included, must fit a Java array. */
  public static final int MAX_FRAME_BYTES_LIMIT = Integer.MAX_VALUE - 16;

  /**
   * 2 s: with the 6 s idle timeout, a frozen or unreachable peer is noticed within 6 s, while an
   * idle connection costs one PING and one PONG every 2 s (a received PING's PONG counts as this
   * side's sign of life, so usually only one side pings).
   */
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(2);

  /** 6 s: three heartbeats' worth of silence; long enough for ordinary GC pauses. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(6);

  /**
   * 10 s: the longest a connection may take from its TCP connect to the end of HELLO / WELCOME, TLS
   * included.
   */
  public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

  /** 10 s: the longest a client waits for the TCP (or Unix socket) connect itself. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /** 5 s: how long a graceful close waits for the peer (PROTOCOL.md §8's drain deadline). */
  public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(5);

  /** 10 s: how long a blocking send waits for room in the outbound queue before it gives up. */
  public static final Duration DEFAULT_SEND_TIMEOUT = Duration.ofSeconds(10);

  /** 30 s: how long a request waits for its response unless it is given a timeout of its own. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

  /** 4 MiB: enough to keep a 10 Gbit/s link busy for a few milliseconds per connection. */
  public static final int DEFAULT_MAX_QUEUED_OUTBOUND_BYTES = 4 * 1024 * 1024;

  public static final int DEFAULT_MAX_QUEUED_INBOUND_MESSAGES = 1024;
  public static final int DEFAULT_MAX_QUEUED_INBOUND_BYTES = 16 * 1024 * 1024;

  /** The u32 fields of the handshake carry milliseconds up to this value. */
  private static final long MAX_WIRE_MILLIS = 0xFFFF_FFFFL;

  /**
   * Validates every field.
   *
   * @throws IllegalArgumentException if a value is out of range
   */
  public TetherConfig {
    codecs = List.copyOf(codecs);
    if (codecs.size() > 16) {
      throw new IllegalArgumentException("at most 16 codecs can be offered, not " + codecs.size());
    }
    if (maxFrameBytes < 1024 || maxFrameBytes > MAX_FRAME_BYTES_LIMIT) {
      throw new IllegalArgumentException(
          "maxFrameBytes must be 1024.." + MAX_FRAME_BYTES_LIMIT + ", was " + maxFrameBytes);
    }
    Objects.requireNonNull(handlerFailurePolicy, "handlerFailurePolicy");
    Objects.requireNonNull(codecLimits, "codecLimits");
    checkWireMillis("heartbeatInterval", heartbeatInterval);
    checkWireMillis("idleTimeout", idleTimeout);
    checkPositive("handshakeTimeout", handshakeTimeout);
    checkPositive("connectTimeout", connectTimeout);
    checkPositive("drainTimeout", drainTimeout);
    checkPositive("sendTimeout", sendTimeout);
    checkPositive("requestTimeout", requestTimeout);
    if (maxQueuedOutboundBytes < 1) {
      throw new IllegalArgumentException("maxQueuedOutboundBytes must be positive");
    }
    if (maxQueuedInboundMessages < 1 || maxQueuedInboundBytes < 1) {
      throw new IllegalArgumentException("inbound queue limits must be positive");
    }
  }

  private static void checkWireMillis(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.isNegative()
        || value.getSeconds() > MAX_WIRE_MILLIS / 1000 + 1
        || value.toMillis() > MAX_WIRE_MILLIS) {
      throw new IllegalArgumentException(name + " must be 0.." + MAX_WIRE_MILLIS + " ms: " + value);
    }
  }

  private static void checkPositive(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
  }

  /** Returns the default configuration. */
  public static TetherConfig defaults() {
    return builder().build();
  }

  /** Returns a builder holding the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder holding this configuration's values. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Builds a {@link TetherConfig}; not thread safe. */
  public static final class Builder {
    private List<String> codecs = List.of();
    private long nodeId;
    private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
    private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
    private Duration sendTimeout = DEFAULT_SEND_TIMEOUT;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private int maxQueuedOutboundBytes = DEFAULT_MAX_QUEUED_OUTBOUND_BYTES;
    private int maxQueuedInboundMessages = DEFAULT_MAX_QUEUED_INBOUND_MESSAGES;
    private int maxQueuedInboundBytes = DEFAULT_MAX_QUEUED_INBOUND_BYTES;
    private Executor handlerExecutor;
    private HandlerFailurePolicy handlerFailurePolicy = HandlerFailurePolicy.CLOSE_CONNECTION;
    private CodecLimits codecLimits = CodecLimits.defaults();

    private Builder() {}

    private Builder(TetherConfig c) {
      codecs = c.codecs;
      nodeId = c.nodeId;
      maxFrameBytes = c.maxFrameBytes;
      heartbeatInterval = c.heartbeatInterval;
      idleTimeout = c.idleTimeout;
      handshakeTimeout = c.handshakeTimeout;
      connectTimeout = c.connectTimeout;
      drainTimeout = c.drainTimeout;
      sendTimeout = c.sendTimeout;
      requestTimeout = c.requestTimeout;
      maxQueuedOutboundBytes = c.maxQueuedOutboundBytes;
      maxQueuedInboundMessages = c.maxQueuedInboundMessages;
      maxQueuedInboundBytes = c.maxQueuedInboundBytes;
      handlerExecutor = c.handlerExecutor;
      handlerFailurePolicy = c.handlerFailurePolicy;
      codecLimits = c.codecLimits;
    }

    /** See {@link TetherConfig#codecs()}. */
    public Builder codecs(String... names) {
      this.codecs = List.of(names);
      return this;
    }

    /** See {@link TetherConfig#codecs()}. */
    public Builder codecs(List<String> names) {
      this.codecs = List.copyOf(names);
      return this;
    }

    /** See {@link TetherConfig#nodeId()}. */
    public Builder nodeId(long nodeId) {
      this.nodeId = nodeId;
      return this;
    }

    /** See {@link TetherConfig#maxFrameBytes()}. */
    public Builder maxFrameBytes(int maxFrameBytes) {
      this.maxFrameBytes = maxFrameBytes;
      return this;
    }

    /** See {@link TetherConfig#heartbeatInterval()}. */
    public Builder heartbeatInterval(Duration heartbeatInterval) {
      this.heartbeatInterval = heartbeatInterval;
      return this;
    }

    /** See {@link TetherConfig#idleTimeout()}. */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = idleTimeout;
      return this;
    }

    /** See {@link TetherConfig#handshakeTimeout()}. */
    public Builder handshakeTimeout(Duration handshakeTimeout) {
      this.handshakeTimeout = handshakeTimeout;
      return this;
    }

    /** See {@link TetherConfig#connectTimeout()}. */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
      return this;
    }

    /** See {@link TetherConfig#drainTimeout()}. */
    public Builder drainTimeout(Duration drainTimeout) {
      this.drainTimeout = drainTimeout;
      return this;
    }

    /** See {@link TetherConfig#sendTimeout()}. */
    public Builder sendTimeout(Duration sendTimeout) {
      this.sendTimeout = sendTimeout;
      return this;
    }

    /** See {@link TetherConfig#requestTimeout()}. */
    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = requestTimeout;
      return this;
    }

    /** See {@link TetherConfig#maxQueuedOutboundBytes()}. */
    public Builder maxQueuedOutboundBytes(int bytes) {
      this.maxQueuedOutboundBytes = bytes;
      return this;
    }

    /** See {@link TetherConfig#maxQueuedInboundMessages()}. */
    public Builder maxQueuedInboundMessages(int messages) {
      this.maxQueuedInboundMessages = messages;
      return this;
    }

    /** See {@link TetherConfig#maxQueuedInboundBytes()}. */
    public Builder maxQueuedInboundBytes(int bytes) {
      this.maxQueuedInboundBytes = bytes;
      return this;
    }

    /** See {@link TetherConfig#handlerExecutor()}. */
    public Builder handlerExecutor(Executor executor) {
      this.handlerExecutor = executor;
      return this;
    }

    /**
     * Runs handlers on the connection's event loop; for handlers that never block. See {@link
     * TetherConfig#EVENT_LOOP}.
     */
    public Builder handlersOnEventLoop() {
      this.handlerExecutor = EVENT_LOOP;
      return this;
    }

    /**
     * Runs handlers on the runtime's handler pool always; for handlers that usually block. See
     * {@link TetherConfig#HANDLER_POOL}. Every batch of messages then costs a thread hand-off and a
     * wake-up of the loop to write the replies, so for handlers that do not block the default
     * handlers get two to three times its throughput (pipelined echo, two JVMs).
     */
    public Builder handlersOnPool() {
      this.handlerExecutor = HANDLER_POOL;
      return this;
    }

    /** See {@link TetherConfig#codecLimits()}. */
    public Builder codecLimits(CodecLimits limits) {
      this.codecLimits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /** See {@link TetherConfig#handlerFailurePolicy()}. */
    public Builder handlerFailurePolicy(HandlerFailurePolicy policy) {
      this.handlerFailurePolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Returns the configuration.
     *
     * @throws IllegalArgumentException if a value is out of range
     */
    public TetherConfig build() {
      return new TetherConfig(
          codecs,
          nodeId,
          maxFrameBytes,
          heartbeatInterval,
          idleTimeout,
          handshakeTimeout,
          connectTimeout,
          drainTimeout,
          sendTimeout,
          requestTimeout,
          maxQueuedOutboundBytes,
          maxQueuedInboundMessages,
          maxQueuedInboundBytes,
          handlerExecutor,
          handlerFailurePolicy,
          codecLimits);
    }
  }
}
