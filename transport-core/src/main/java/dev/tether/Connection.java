package dev.tether;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One open, handshaken connection to a peer, carrying messages of type {@code O} out and {@code I}
 * in. Messages are delivered in the order they were sent.
 *
 * <p>All methods are thread safe. Sends encode the message on the calling thread and queue the
 * bytes; an event loop writes them. The outbound queue is bounded by {@link
 * TetherConfig#maxQueuedOutboundBytes()}: when it is full, {@link #send} waits and {@link #trySend}
 * returns {@link SendResult#BACK_PRESSURED}.
 *
 * <p>Incoming messages go to the {@link MessageHandler} given when the connection was made or, if
 * there is none, wait for {@link #receive}. Either way, once {@link
 * TetherConfig#maxQueuedInboundMessages()} are waiting the connection stops reading from the
 * socket, so a slow consumer pushes back on the sender instead of growing memory.
 *
 * @param <O> the type of messages this side sends
 * @param <I> the type of messages this side receives
 */
public interface Connection<O, I> extends AutoCloseable {
  /**
   * Queues a message, waiting up to {@link TetherConfig#sendTimeout()} while the outbound queue is
   * full.
   *
   * @throws ConnectionClosedException if the connection is closing or closed
   * @throws TetherTimeoutException if the queue stayed full for the whole send timeout
   * @throws MessageTooLargeException if the encoding exceeds the peer's frame limit; the connection
   *     stays up
   * @throws dev.tether.codec.CodecException if the message cannot be encoded
   * @throws IllegalArgumentException if the message's class is not registered
   */
  void send(O message);

  /** Like {@link #send(Object)}, waiting at most {@code timeout} for room in the queue. */
  void send(O message, Duration timeout);

  /**
   * Queues a message if there is room, without ever blocking.
   *
   * @return {@link SendResult#ACCEPTED}, or why not: {@link SendResult#BACK_PRESSURED} (retry
   *     later) or {@link SendResult#CLOSED}
   * @throws MessageTooLargeException if the encoding exceeds the peer's frame limit
   * @throws dev.tether.codec.CodecException if the message cannot be encoded
   */
  SendResult trySend(O message);

  /**
   * Sends a request and returns its response, which fails after {@link
   * TetherConfig#requestTimeout()} with {@link TetherTimeoutException}. The future fails with
   * {@link RequestFailedException} if the peer answered with an error, and with {@link
   * ConnectionClosedException} if the connection ends first. Blocks like {@link #send} while the
   * outbound queue is full. A thread waiting in {@code get} is woken straight from the event loop;
   * dependent actions ({@code thenApply}, {@code whenComplete}, ...) always run on the handler
   * executor, never on an event loop, so they may block.
   */
  CompletableFuture<I> request(O message);

  /** Like {@link #request(Object)} with its own timeout. */
  CompletableFuture<I> request(O message, Duration timeout);

  /**
   * Takes the next received message, waiting up to {@code timeout}. Only for connections made
   * without a {@link MessageHandler}.
   *
   * @return the message, or null if none arrived in time
   * @throws ConnectionClosedException once the connection has closed and every message that arrived
   *     before has been taken
   * @throws IllegalStateException if the connection has a message handler
   * @throws InterruptedException if the thread was interrupted while waiting
   */
  I receive(Duration timeout) throws InterruptedException;

  /** Returns what the handshake established about the peer. */
  PeerInfo peer();

  /** Returns this side's socket address. */
  SocketAddress localAddress();

  /** Returns a snapshot of the connection's counters. */
  ConnectionMetrics metrics();

  /** Returns true until the connection starts closing. */
  boolean isOpen();

  /**
   * Closes gracefully and waits for it: refuses new sends, writes every message already accepted,
   * sends GOAWAY(NORMAL), then waits up to {@link TetherConfig#drainTimeout()} for the peer to
   * finish. Messages the peer sent before its GOAWAY are still delivered. Idempotent.
   */
  @Override
  void close();

  /**
   * Starts a graceful close, like {@link #close()}, without waiting; returns {@link #onClose()}.
   */
  CompletionStage<ConnectionClosedException> closeAsync();

  /**
   * Returns a stage that completes, never exceptionally, once the connection is fully closed, with
   * the reason it ended: {@link GoAwayCode#NORMAL} for a graceful close by either side.
   */
  CompletionStage<ConnectionClosedException> onClose();
}
