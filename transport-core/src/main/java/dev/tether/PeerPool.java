package dev.tether;

import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Connections to the other nodes of a cluster, by node id: the id each node announces in its
 * handshake ({@link TetherConfig#nodeId()}, seen as {@link PeerInfo#nodeId()}). Made by {@link
 * ClientBuilder#peerPool}, whose settings and handlers every connection of the pool gets.
 *
 * <pre>{@code
 * PeerAddresses peers = new PeerAddresses().put(2, addressOf2).put(3, addressOf3);
 * try (PeerPool<Raft, Raft> pool = Tether.<Raft, Raft>client(types).config(self).peerPool(peers)) {
 *   pool.send(2, heartbeat);
 *   Vote vote = pool.request(3, voteRequest, Vote.class).join();
 * }
 * }</pre>
 *
 * <ul>
 *   <li><b>Lazy, one per peer.</b> A peer is connected on first use; concurrent first uses share
 *       one connect, and every sender shares the one connection afterwards.
 *   <li><b>Addresses from a resolver</b>, asked before every connect: a peer that moved is reached
 *       at its new address from the next connect on. A peer the resolver does not know fails with
 *       {@link UnknownPeerException} naming the node id.
 *   <li><b>Identity checked.</b> The server reached must announce the node id asked for; otherwise
 *       the connect fails, naming both ids, and the connection is closed.
 *   <li><b>Dead peers reconnected on next use, with backoff.</b> A connection that has closed (the
 *       peer stopped, the network failed, the idle timeout fired) is replaced by a new connect on
 *       the next use. After a failed connect, uses fail fast, without touching the network, until a
 *       retry delay has passed; the delay doubles with each failure in a row (with jitter), from
 *       the pool's first retry delay up to its maximum, so a down peer is not hammered.
 * </ul>
 *
 * <p>Thread safe.
 */
public interface PeerPool<O, I> extends AutoCloseable {
  /**
   * 100 ms: a peer that restarts is found again quickly, while one that stays down sees at most a
   * handful of connects in its first second and then fewer.
   */
  Duration DEFAULT_FIRST_RETRY_DELAY = Duration.ofMillis(100);

  /** 10 s: the longest a pool waits between connects to a peer that stays down. */
  Duration DEFAULT_MAX_RETRY_DELAY = Duration.ofSeconds(10);

  /**
   * Returns the open connection to {@code nodeId}, connecting first if there is none, and waiting
   * at most the connect timeout plus the handshake timeout for it (plus a few seconds for the
   * resolver).
   *
   * @throws UnknownPeerException if the resolver does not know the node
   * @throws TetherException if the connect failed, or the peer is backing off after failed
   *     connects; the message names the node and says which, and when the next attempt is allowed.
   *     A failed connect keeps its type ({@link TetherTimeoutException} for a handshake that timed
   *     out, {@link HandshakeException} for one the server refused), with the node named in front
   *     of its message and the connector's exception as its cause
   * @throws IllegalStateException if the pool is closed, or if it would have to wait for a connect
   *     on an event loop (in a handler that always runs on the loop, {@link
   *     TetherConfig.Builder#handlersOnEventLoop()}: use {@link #connectionAsync} there)
   * @throws IllegalArgumentException if {@code nodeId} is 0
   */
  Connection<O, I> connection(long nodeId);

  /**
   * Like {@link #connection(long)} without blocking: the future fails with the same exceptions.
   * Each caller gets a future of its own; cancelling it does not stop the connect others share.
   */
  CompletableFuture<Connection<O, I>> connectionAsync(long nodeId);

  /** Returns the connection to {@code nodeId} if it is open now; never connects. */
  Optional<Connection<O, I>> openConnection(long nodeId);

  /**
   * Sends {@code message} to {@code nodeId}, connecting first if needed; then as {@link
   * Connection#send}. Fails, before sending, as {@link #connection(long)} does.
   *
   * @throws UnknownPeerException if the resolver does not know the node
   * @throws TetherException if there is no connection to the node, or as {@link Connection#send}
   */
  void send(long nodeId, O message);

  /**
   * Sends a request to {@code nodeId}, connecting first if needed, without blocking on the connect;
   * the future fails as {@link #connectionAsync} or {@link Connection#request(Object)} would. The
   * request timeout ({@link TetherConfig#requestTimeout()}) counts from this call, the connect
   * included: a connect still running when it passes (a peer that accepts the TCP connect and never
   * answers the handshake) fails the future with {@link TetherTimeoutException} naming the node,
   * and the request is not sent. Completing or cancelling the future oneself gives up on the
   * request, as on a connection: one not yet sent is not sent.
   */
  CompletableFuture<I> request(long nodeId, O message);

  /** Like {@link #request(long, Object)}, typed as {@link Connection#request(Object, Class)}. */
  <R extends I> CompletableFuture<R> request(long nodeId, O message, Class<R> responseType);

  /**
   * Like {@link #request(long, Object, Class)} with its own request timeout, which counts from this
   * call, the connect included.
   */
  <R extends I> CompletableFuture<R> request(
      long nodeId, O message, Class<R> responseType, Duration timeout);

  /**
   * Sends the same request to every node of {@code nodeIds} at once and gathers the answers until
   * {@code quorum} is decided or {@code timeout} passes: see {@link Replies#gather}. The future
   * never fails: a peer that is unknown, unreachable, fails or does not answer in time is reported
   * in the {@link Replies}, by node id.
   *
   * @throws IllegalArgumentException if {@code nodeIds} is empty, holds 0, or is smaller than the
   *     quorum
   */
  <R extends I> CompletableFuture<Replies<Long, R>> requestAll(
      Collection<Long> nodeIds, O message, Class<R> responseType, Quorum quorum, Duration timeout);

  /** Returns the resolver the pool asks for addresses. */
  PeerResolver resolver();

  /**
   * Closes the connection to {@code nodeId} gracefully, if there is one, or abandons the connect in
   * flight, and forgets the peer's backoff; the next use connects afresh.
   */
  void disconnect(long nodeId);

  /**
   * Closes every connection gracefully, waiting up to the drain timeout for them, and abandons the
   * connects still in flight (their futures fail with {@link IllegalStateException}, saying so: no
   * connection of a closed pool is handed out); later uses fail with {@link IllegalStateException}.
   * Idempotent. Called by a handler of one of the pool's connections, or by the pool's resolver, it
   * starts the closes without waiting: they wait for that handler or resolver to return.
   */
  @Override
  void close();
}
