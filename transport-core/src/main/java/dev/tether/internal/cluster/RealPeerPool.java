package dev.tether.internal.cluster;

import dev.tether.Connection;
import dev.tether.PeerPool;
import dev.tether.PeerResolver;
import dev.tether.Quorum;
import dev.tether.Replies;
import dev.tether.TetherException;
import dev.tether.TetherTimeoutException;
import dev.tether.internal.engine.Deadlines;
import dev.tether.internal.engine.EventLoop;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The {@link PeerPool}: one {@link PeerLink} per node id, created on first use.
 *
 * <p>Thread safe.
 */
public final class RealPeerPool<O, I> implements PeerPool<O, I> {
  private final PeerResolver resolver;
  private final Function<SocketAddress, CompletableFuture<Connection<O, I>>> connector;
  private final Executor executor;
  private final RetryDelay retryDelay;
  private final long connectWaitMillis;
  private final long closeWaitMillis;
  private final Duration requestTimeout;
  private final Map<Long, PeerLink<O, I>> links = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * @param connector opens a connection, as {@link dev.tether.ClientBuilder#connectAsync}
   * @param executor where the resolver runs and gatherings end: the runtime's handler executor
   * @param connectWait the longest {@link #connection} waits for a connect
   * @param closeWait the longest {@link #close} waits for the connections to close
   * @param requestTimeout the connections' request timeout, for requests without their own
   */
  public RealPeerPool(
      PeerResolver resolver,
      Function<SocketAddress, CompletableFuture<Connection<O, I>>> connector,
      Executor executor,
      Duration firstRetryDelay,
      Duration maxRetryDelay,
      Duration connectWait,
      Duration closeWait,
      Duration requestTimeout) {
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.connector = connector;
    this.executor = executor;
    this.retryDelay = new RetryDelay(firstRetryDelay, maxRetryDelay);
    this.connectWaitMillis = connectWait.toMillis();
    this.closeWaitMillis = closeWait.toMillis();
    this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
  }

  private PeerLink<O, I> link(long nodeId) {
    if (nodeId == 0) {
      throw new IllegalArgumentException(
          "node id 0 is anonymous; peers in a pool are addressed by their own non-zero ids");
    }
    if (closed) {
      throw new IllegalStateException("the peer pool is closed; node " + nodeId + " not used");
    }
    return links.computeIfAbsent(
        nodeId, id -> new OnDemandLink<>(id, resolver, connector, executor, retryDelay));
  }

  @Override
  public Connection<O, I> connection(long nodeId) {
    CompletableFuture<Connection<O, I>> future = connectionAsync(nodeId);
    if (!future.isDone()) {
      EventLoop.refuseToWaitOnLoop("connecting to node " + nodeId);
    }
    try {
      return future.get(connectWaitMillis, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = OnDemandLink.unwrap(e.getCause());
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new TetherException("connect to node " + nodeId + " failed: " + cause, cause);
    } catch (TimeoutException e) {
      future.cancel(false);
      throw new TetherTimeoutException(
          "no connection to node " + nodeId + " within " + connectWaitMillis + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TetherException("interrupted while connecting to node " + nodeId, e);
    }
  }

  @Override
  public CompletableFuture<Connection<O, I>> connectionAsync(long nodeId) {
    return link(nodeId).connection();
  }

  @Override
  public Optional<Connection<O, I>> openConnection(long nodeId) {
    PeerLink<O, I> link = links.get(nodeId);
    return link == null ? Optional.empty() : link.ifOpen();
  }

  @Override
  public void send(long nodeId, O message) {
    connection(nodeId).send(message);
  }

  @Override
  public CompletableFuture<I> request(long nodeId, O message) {
    Objects.requireNonNull(message, "message");
    return call(nodeId, requestTimeout, (c, left) -> c.request(message, left));
  }

  @Override
  public <R extends I> CompletableFuture<R> request(long nodeId, O message, Class<R> responseType) {
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(responseType, "responseType");
    return call(nodeId, requestTimeout, (c, left) -> c.request(message, responseType, left));
  }

  @Override
  public <R extends I> CompletableFuture<R> request(
      long nodeId, O message, Class<R> responseType, Duration timeout) {
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(responseType, "responseType");
    Objects.requireNonNull(timeout, "timeout");
    return call(nodeId, timeout, (c, left) -> c.request(message, responseType, left));
  }

  /**
   * Makes a request on the peer's connection: at once if it is open (the connection's own future is
   * returned), otherwise once connected, with what is left of {@code timeout} by then, completing
   * the returned future from the response's handler-executor callback so that no dependent ever
   * runs on an event loop. The timeout counts from this call: a connect that does not complete
   * within it (a peer that accepts the TCP connect and never answers the handshake) fails the
   * request at the timeout, on the handler executor, rather than at the handshake timeout.
   * Completing or cancelling the returned future gives up on the connection's request.
   */
  private <R> CompletableFuture<R> call(
      long nodeId,
      Duration timeout,
      BiFunction<Connection<O, I>, Duration, CompletableFuture<R>> call) {
    PeerLink<O, I> link = link(nodeId);
    Optional<Connection<O, I>> open = link.ifOpen();
    if (open.isPresent()) {
      return call.apply(open.get(), timeout);
    }
    long timeoutNanos = Deadlines.nanos(timeout);
    long deadline = System.nanoTime() + timeoutNanos;
    CompletableFuture<R> result = new CompletableFuture<>();
    CompletableFuture<Connection<O, I>> connecting = link.connection();
    if (!connecting.isDone() && timeoutNanos < Deadlines.MAX_NANOS) {
      CompletableFuture.delayedExecutor(timeoutNanos, TimeUnit.NANOSECONDS, executor)
          .execute(
              () -> {
                if (!connecting.isDone()) {
                  result.completeExceptionally(connectTooSlow(nodeId, timeout));
                }
              });
    }
    connecting.whenComplete(
        (connection, failure) -> {
          if (result.isDone()) {
            return; // timed out while connecting
          }
          if (failure != null) {
            result.completeExceptionally(OnDemandLink.unwrap(failure));
            return;
          }
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            result.completeExceptionally(connectTooSlow(nodeId, timeout));
            return;
          }
          CompletableFuture<R> response;
          try {
            response = call.apply(connection, Duration.ofNanos(left));
          } catch (RuntimeException e) {
            result.completeExceptionally(e);
            return;
          }
          // the application giving up on its future gives up on the request, as on a connection
          result.whenComplete(
              (value, error) -> {
                if (!response.isDone()) {
                  response.cancel(false);
                }
              });
          response.whenComplete(
              (value, error) -> {
                if (error != null) {
                  result.completeExceptionally(OnDemandLink.unwrap(error));
                } else {
                  result.complete(value);
                }
              });
        });
    return result;
  }

  private static TetherTimeoutException connectTooSlow(long nodeId, Duration timeout) {
    return new TetherTimeoutException(
        "no answer from node "
            + nodeId
            + " within "
            + timeout.toMillis()
            + " ms: the connect to it (TCP and handshake) had not completed by then; the request"
            + " was not sent");
  }

  @Override
  public <R extends I> CompletableFuture<Replies<Long, R>> requestAll(
      Collection<Long> nodeIds, O message, Class<R> responseType, Quorum quorum, Duration timeout) {
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(responseType, "responseType");
    Objects.requireNonNull(quorum, "quorum");
    Objects.requireNonNull(timeout, "timeout");
    List<Long> peers = new ArrayList<>(new LinkedHashSet<>(nodeIds));
    quorum.neededOf(peers.size()); // fails before anything is sent
    Map<Long, CompletableFuture<R>> calls = new LinkedHashMap<>();
    for (Long nodeId : peers) {
      CompletableFuture<R> answer;
      try {
        answer = request(nodeId, message, responseType, timeout);
      } catch (RuntimeException e) { // node id 0, or the pool closed: that peer's failure
        answer = CompletableFuture.failedFuture(e);
      }
      calls.put(nodeId, answer);
    }
    return Replies.gather(calls, quorum, timeout, executor);
  }

  @Override
  public PeerResolver resolver() {
    return resolver;
  }

  @Override
  public void disconnect(long nodeId) {
    PeerLink<O, I> link = links.remove(nodeId);
    if (link != null) {
      link.close();
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<CompletableFuture<Void>> closes = new ArrayList<>();
    boolean mayWait = true;
    for (PeerLink<O, I> link : links.values()) {
      mayWait &=
          !link.resolvesOnThisThread()
              && link.ifOpen().map(c -> !EventLoop.cannotAwaitClose(c)).orElse(true);
      closes.add(link.close().toCompletableFuture());
    }
    links.clear();
    if (!mayWait) {
      return; // called by a handler of one of these connections: their closes wait for it
    }
    EventLoop.beforeWaiting();
    try {
      CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new))
          .get(closeWaitMillis, TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // each connection reports its own close; the pool has done what it could
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "PeerPool" + links.keySet() + " via " + resolver;
  }
}
