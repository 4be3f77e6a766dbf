package dev.tether;

import dev.tether.internal.route.ResponseTypes;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One open, handshaken connection to a peer, carrying messages of type {@code O} out and {@code I}
 * in. Messages are delivered in the order they were sent.
 *
 * <p>All methods are thread safe. Sends encode the message on the calling thread and queue the
 * bytes; an event loop writes them. The outbound queue is bounded by {@link
 * TetherConfig#maxQueuedOutboundBytes()}: when it is full, {@link #send} waits, {@link #trySend}
 * returns {@link SendResult#BACK_PRESSURED} and {@link #sendAsync} completes later. On an
 * event-loop thread (handlers configured with {@link TetherConfig.Builder#handlersOnEventLoop()})
 * nothing ever waits: see {@link #send(Object)}.
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
   * Queues a message, waiting while the outbound queue is full; gives up once {@link
   * TetherConfig#sendTimeout()} has passed without the queue making progress (no byte written), so
   * a slow but steady peer never times a sender out.
   *
   * <p>On an event-loop thread it never waits: the message is queued if the queue is under twice
   * its bound, and otherwise refused at once with {@link TetherTimeoutException}. A handler running
   * on the loop is not called while its connection's queue is over its bound, so a handler that
   * sends one reply per message never meets that refusal.
   *
   * <p>While the connection is closing, the handler may still send while it processes what was
   * received before the close (replies are part of work already started); other sends are refused.
   *
   * @throws ConnectionClosedException if the connection is closing or closed
   * @throws TetherTimeoutException if the queue stayed full for the send timeout without progress
   * @throws MessageTooLargeException if the encoding exceeds the peer's frame limit; the connection
   *     stays up
   * @throws dev.tether.codec.CodecException if the message cannot be encoded
   * @throws IllegalArgumentException if the message's class is not registered
   */
  void send(O message);

  /** Like {@link #send(Object)}, waiting at most {@code timeout} for room in the queue. */
  void send(O message, Duration timeout);

  /**
   * Queues messages in order, as {@link #send(Object)} would one after another, for less: it
   * encodes a run of them on this thread and queues each run (up to 64 KiB of frames, or a quarter
   * of {@link TetherConfig#maxQueuedOutboundBytes()} if that is less) with one lock and one wake-up
   * of the event loop, where {@code send} takes those per message. For a producer that has several
   * messages at hand, like Netty's {@code write} calls followed by one {@code flush}. The peer
   * receives them as separate messages, exactly as if sent one by one.
   *
   * <p>Waits for room like {@code send}, a run at a time. If it throws, the messages before the one
   * that failed to encode are queued and are sent, and the exception, of the type {@code send}
   * would throw, says which message failed (counting from 1) and how many were queued, with the
   * message's own failure as its cause; if a run could not be queued (the connection closed, the
   * send timeout passed), the exception's message says how many of the messages were queued before
   * it. Either way none after that point is sent.
   *
   * @throws ConnectionClosedException if the connection is closing or closed
   * @throws TetherTimeoutException if the queue stayed full for the send timeout without progress
   * @throws MessageTooLargeException if a message's encoding exceeds the peer's frame limit; the
   *     connection stays up
   * @throws dev.tether.codec.CodecException if a message cannot be encoded
   * @throws IllegalArgumentException if a message's class is not registered
   * @throws NullPointerException if {@code messages} or one of them is null
   */
  void sendAll(Iterable<? extends O> messages);

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
   * Queues a message without ever blocking, and tells when it is in the queue: the stage completes
   * at once if there is room, or else once room frees up, in order with the other sends. Sends
   * waiting for room are bounded like the queue itself, each counted with the hundred bytes or so
   * it holds besides its encoding; beyond that the stage fails at once with {@link
   * TetherTimeoutException}. Encoding failures, a message too large for the peer and a closed
   * connection also fail the stage. Dependent actions run on the handler executor.
   */
  CompletionStage<Void> sendAsync(O message);

  /**
   * Returns true while the connection is open, its outbound queue is under its bound and no {@link
   * #sendAsync} waits for room: the writability signal of Netty's {@code Channel.isWritable()}.
   * {@link #trySend} accepts a message then if it fits in the room left (and, for one over 64 KiB
   * or one that takes the queue past 128 KiB, the runtime's {@link
   * TetherRuntime.Builder#largeMessageSendMemory} is not all taken); once it has returned {@link
   * SendResult#BACK_PRESSURED} for want of room, this returns false until that message would fit,
   * so that a producer that sends while the connection is writable, and polls this after a refusal,
   * is not told to retry in vain.
   */
  boolean isWritable();

  /**
   * Returns a stage that completes once the connection is {@link #isWritable() writable}: at once
   * if it is now, else as soon as its outbound queue drains under its bound (the {@code sendAsync}
   * frames waiting for room in it, the message {@code trySend} was last refused for fitting) or the
   * runtime's {@link TetherRuntime.Builder#largeMessageSendMemory} it waits for comes free. The
   * signal that Netty gives with {@code channelWritabilityChanged} and gRPC with {@code onReady}: a
   * producer sends with {@link #trySend} while it is accepted, and on {@link
   * SendResult#BACK_PRESSURED} waits for this stage instead of polling. Writability can be lost
   * again before a dependent runs, so the producer tries again and may be refused again. Fails with
   * {@link ConnectionClosedException} once the connection is closing or closed. Dependent actions
   * run on the handler executor; each call returns a stage of its own.
   */
  CompletionStage<Void> whenWritable();

  /**
   * Sends a request and returns its response, which fails after {@link
   * TetherConfig#requestTimeout()} with {@link TetherTimeoutException}. The future fails with
   * {@link RequestFailedException} if the peer answered with an error, and with {@link
   * ConnectionClosedException} if the connection ends first. Blocks like {@link #send} while the
   * outbound queue is full. A thread waiting in {@code get} is woken straight from the event loop;
   * dependent actions ({@code thenApply}, {@code whenComplete}, ...) always run on the handler
   * executor, never on an event loop, so they may block. A handler that always runs on the event
   * loop ({@link TetherConfig.Builder#handlersOnEventLoop()}) must not wait for the future: there
   * {@code get} and {@code join} throw {@link IllegalStateException} unless it is complete, rather
   * than block the loop that would read the response. Completing or cancelling the future oneself
   * ({@code cancel}, {@code orTimeout}, {@code complete}) stops waiting for the response: the
   * request is forgotten at once (it no longer counts in {@link
   * ConnectionMetrics#pendingRequests()} nor holds its timer), and its response, if one still
   * comes, is dropped.
   */
  CompletableFuture<I> request(O message);

  /** Like {@link #request(Object)} with its own timeout. */
  CompletableFuture<I> request(O message, Duration timeout);

  /**
   * Sends a request whose response must be of class {@code responseType}, and returns it typed as
   * such: {@code CompletableFuture<Value> value = connection.request(new Get("k"), Value.class)}.
   * Behaves like {@link #request(Object)}; in addition, a response of another class fails the
   * future with a {@link TetherException} naming both classes (the connection stays up).
   */
  default <R extends I> CompletableFuture<R> request(O message, Class<R> responseType) {
    return request(message, responseType, null);
  }

  /**
   * Like {@link #request(Object, Class)} with its own timeout; a null {@code timeout} means {@link
   * TetherConfig#requestTimeout()}.
   */
  default <R extends I> CompletableFuture<R> request(
      O message, Class<R> responseType, Duration timeout) {
    Objects.requireNonNull(responseType, "responseType");
    CompletableFuture<I> response = timeout == null ? request(message) : request(message, timeout);
    return response.thenApply(value -> ResponseTypes.cast(value, responseType, message, this));
  }

  /**
   * Takes the next received message, waiting up to {@code timeout}. Only for connections made
   * without a {@link MessageHandler}.
   *
   * @return the message, or null if none arrived in time
   * @throws ConnectionClosedException once the connection has closed and every message that arrived
   *     before has been taken
   * @throws IllegalStateException if the connection has a message handler, or if no message is
   *     there yet and the caller is an event loop (a handler that always runs on the loop, {@link
   *     TetherConfig.Builder#handlersOnEventLoop()}), which must not wait
   * @throws dev.tether.codec.CodecException if the next message cannot be decoded: one larger than
   *     64 KiB is decoded here rather than on the event loop, so its failure is reported here; the
   *     connection then closes with {@link GoAwayCode#CODEC_ERROR} (an {@link Error} from the codec
   *     is thrown as it is, and the connection closes with {@link GoAwayCode#INTERNAL_ERROR})
   * @throws InterruptedException if the thread was interrupted while waiting
   */
  I receive(Duration timeout) throws InterruptedException;

  /**
   * Attaches an object of the application's to this connection, replacing the one attached before,
   * as {@link java.nio.channels.SelectionKey#attach} does; null detaches. What a handler keeps per
   * connection (a session, a counter, a decoder state) then costs a field read in every call rather
   * than a map lookup, and goes away with the connection. Attach it in the server's {@link
   * ServerBuilder#onConnection onConnection} handler, which runs before the connection's first
   * message or request handler, or on the client once {@code connect} returns. Thread safe: once
   * this returns, {@link #attachment()} on any thread sees the new object.
   *
   * @return the object attached before, or null
   */
  Object attach(Object attachment);

  /** Returns the object last {@link #attach attached}, or null if none is. */
  Object attachment();

  /** Returns what the handshake established about the peer. */
  PeerInfo peer();

  /** Returns this side's socket address. */
  SocketAddress localAddress();

  /** Returns a snapshot of the connection's counters. */
  ConnectionMetrics metrics();

  /** Returns true until the connection starts closing. */
  boolean isOpen();

  /**
   * Closes gracefully (PROTOCOL.md §8) and waits for it: refuses new sends from the application,
   * lets the handler finish the messages and requests already received (what it sends while doing
   * so is written), writes every message already accepted, then GOAWAY(NORMAL), and waits up to
   * {@link TetherConfig#drainTimeout()} for the peer to finish. Responses to this side's requests
   * that arrive meanwhile complete them. Idempotent; on an event-loop or handler thread it starts
   * the close without waiting. A thread interrupted while it waits stops waiting and returns, its
   * interrupt status set; the close goes on, and {@link #onClose()} tells how it ended.
   *
   * @throws ConnectionClosedException if the close this call started did not end gracefully (the
   *     drain deadline passed, the peer died, a handler of this connection still had not returned a
   *     second after the deadline): its reason says what was lost or not confirmed, and {@link
   *     ConnectionClosedException#messagesNotSent()} how many accepted messages were never written
   */
  @Override
  void close();

  /**
   * Starts a graceful close, like {@link #close()}, without waiting; returns {@link #onClose()}.
   */
  CompletionStage<ConnectionClosedException> closeAsync();

  /**
   * Returns a stage that completes, never exceptionally, once the connection is fully closed, with
   * the reason it ended: {@link GoAwayCode#NORMAL} for a graceful close by either side. The close
   * completes once this connection's handlers have returned, so a handler of this connection (its
   * close handler too), or a handler that always runs on the event loop, must not wait for it:
   * there the {@code get} and {@code join} of {@code toCompletableFuture()} throw {@link
   * IllegalStateException} unless it is complete, rather than wait for good.
   */
  CompletionStage<ConnectionClosedException> onClose();
}
