package dev.tether.internal.cluster;

import dev.tether.Connection;
import dev.tether.ConnectionClosedException;
import dev.tether.HandshakeException;
import dev.tether.PeerResolver;
import dev.tether.TetherException;
import dev.tether.TetherTimeoutException;
import dev.tether.UnknownPeerException;
import dev.tether.internal.engine.Connector;
import java.net.SocketAddress;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection to one peer, made on use: resolve the node's address, connect, check that the
 * server there is the node asked for. A connection that has closed is replaced on the next use;
 * after a failed connect, uses fail fast until the {@link RetryDelay} has passed.
 *
 * <p>Thread safe: the state is guarded by this object's monitor, which is never held while
 * connecting or resolving.
 */
final class OnDemandLink<O, I> implements PeerLink<O, I> {
  private static final Logger log = LoggerFactory.getLogger(OnDemandLink.class);

  private final long nodeId;
  private final PeerResolver resolver;
  private final Function<SocketAddress, CompletableFuture<Connection<O, I>>> connector;
  private final Executor executor;
  private final RetryDelay retryDelay;

  private CompletableFuture<Connection<O, I>> current;

  /** The connector's own future of the connect in flight: cancelling it abandons the connect. */
  private CompletableFuture<Connection<O, I>> dialling;

  private int failuresInARow;
  private long retryAtNanos;
  private Throwable lastFailure;
  private volatile SocketAddress lastAddress;
  private boolean closed;

  /** The thread running the resolver for the connect in flight, if it runs. */
  private volatile Thread resolving;

  /**
   * @param connector opens a connection to an address, as {@link
   *     dev.tether.ClientBuilder#connectAsync} does
   * @param executor where the resolver runs: never an event loop
   */
  OnDemandLink(
      long nodeId,
      PeerResolver resolver,
      Function<SocketAddress, CompletableFuture<Connection<O, I>>> connector,
      Executor executor,
      RetryDelay retryDelay) {
    this.nodeId = nodeId;
    this.resolver = resolver;
    this.connector = connector;
    this.executor = executor;
    this.retryDelay = retryDelay;
  }

  @Override
  public CompletableFuture<Connection<O, I>> connection() {
    synchronized (this) {
      if (closed) {
        return CompletableFuture.failedFuture(
            new IllegalStateException("the peer pool is closed; node " + nodeId + " not used"));
      }
      if (current != null && !current.isDone()) {
        return current.copy(); // a connect in flight: share it
      }
      if (current != null && !current.isCompletedExceptionally() && stays(current.join())) {
        return current.copy();
      }
      long waitNanos = retryAtNanos - System.nanoTime();
      if (failuresInARow > 0 && waitNanos > 0) {
        return CompletableFuture.failedFuture(backingOff(waitNanos));
      }
      current = attempt();
      return current.copy();
    }
  }

  /**
   * True if the connection is open, or is answering its server's graceful shutdown to reconnect
   * after it (with a {@link dev.tether.ReconnectPolicy}): replaced then, it would come back beside
   * its replacement, a second connection to the peer that the pool no longer knows of.
   */
  private static boolean stays(Connection<?, ?> c) {
    return c.isOpen() || Connector.comesBack(c);
  }

  @Override
  public synchronized Optional<Connection<O, I>> ifOpen() {
    if (current == null || !current.isDone() || current.isCompletedExceptionally()) {
      return Optional.empty();
    }
    Connection<O, I> c = current.join();
    return c.isOpen() ? Optional.of(c) : Optional.empty();
  }

  @Override
  public CompletionStage<Void> close() {
    CompletableFuture<Connection<O, I>> last;
    CompletableFuture<Connection<O, I>> dial;
    synchronized (this) {
      closed = true;
      last = current;
      dial = dialling;
    }
    if (dial != null) {
      dial.cancel(false); // a peer that never answers the handshake would hold the close up
    }
    if (last == null) {
      return CompletableFuture.completedFuture(null);
    }
    // a connect in flight is closed once it completes (see attempted)
    return last.handle((c, e) -> c).thenCompose(c -> c == null ? done() : closeQuietly(c));
  }

  private static CompletionStage<Void> done() {
    return CompletableFuture.completedFuture(null);
  }

  private static <O, I> CompletionStage<Void> closeQuietly(Connection<O, I> c) {
    return c.closeAsync().handle((cause, e) -> null);
  }

  /** Starts one connect: resolve on the executor, connect, check the node id. */
  private CompletableFuture<Connection<O, I>> attempt() {
    CompletableFuture<Connection<O, I>> attempt;
    try {
      attempt =
          CompletableFuture.supplyAsync(this::resolve, executor)
              .thenCompose(this::dial)
              .thenApply(this::checked)
              .exceptionally(this::abandonedIfClosed);
    } catch (RuntimeException e) { // the executor refused: the runtime is closed
      attempt = CompletableFuture.failedFuture(e);
    }
    attempt.whenComplete(this::attempted);
    return attempt;
  }

  @Override
  public boolean resolvesOnThisThread() {
    return resolving == Thread.currentThread();
  }

  private CompletableFuture<Connection<O, I>> dial(SocketAddress address) {
    CompletableFuture<Connection<O, I>> dial = connector.apply(address);
    boolean abandon;
    synchronized (this) {
      dialling = dial;
      abandon = closed;
    }
    if (abandon) {
      dial.cancel(false);
    }
    return dial.handle(
        (connection, failure) -> {
          if (failure != null) {
            throw named(unwrap(failure));
          }
          return connection;
        });
  }

  /**
   * Returns the connector's failure with the node named in front of its message ("node 3: cannot
   * connect to 10.0.0.7:7000: Connection refused"), of the same type, with the original as cause; a
   * cancellation, or a failure of any other type, as it is.
   */
  private RuntimeException named(Throwable failure) {
    String node = prefix();
    Class<?> type = failure.getClass();
    if (type == TetherException.class) {
      return new TetherException(node + failure.getMessage(), failure);
    }
    if (type == TetherTimeoutException.class) {
      TetherTimeoutException named = new TetherTimeoutException(node + failure.getMessage());
      named.initCause(failure);
      return named;
    }
    if (type == HandshakeException.class) {
      HandshakeException h = (HandshakeException) failure;
      return new HandshakeException(h.code(), h.rawCode(), node + h.reason(), h.isRemote(), h);
    }
    if (type == ConnectionClosedException.class) {
      ConnectionClosedException c = (ConnectionClosedException) failure;
      return new ConnectionClosedException(
          c.code(),
          c.rawCode(),
          node + c.reason(),
          c.isRemote(),
          c,
          c.messagesNotSent(),
          c.isGraceful());
    }
    return failure instanceof RuntimeException r ? r : new CompletionException(failure);
  }

  private String prefix() {
    return "node " + nodeId + ": ";
  }

  /** Tells those who shared a connect that the close abandoned it, rather than "cancelled". */
  private Connection<O, I> abandonedIfClosed(Throwable failure) {
    Throwable cause = unwrap(failure);
    boolean abandoned;
    synchronized (this) {
      abandoned = closed && cause instanceof CancellationException;
    }
    if (abandoned) {
      throw new IllegalStateException(
          "node "
              + nodeId
              + " was disconnected, or the peer pool closed, while connecting to it; the connect"
              + " was abandoned",
          cause);
    }
    throw failure instanceof CompletionException ce ? ce : new CompletionException(failure);
  }

  private SocketAddress resolve() {
    Optional<SocketAddress> address;
    resolving = Thread.currentThread();
    try {
      address = resolver.resolve(nodeId);
    } catch (Exception e) {
      throw new TetherException(
          "cannot resolve node " + nodeId + " with " + resolver + ": " + e.getMessage(), e);
    } finally {
      resolving = null;
    }
    if (address == null || address.isEmpty()) {
      throw new UnknownPeerException(
          nodeId,
          "unknown peer: node "
              + nodeId
              + " has no address in "
              + resolver
              + "; register it with the resolver before using it");
    }
    lastAddress = address.get();
    return address.get();
  }

  /** Returns the connection if the server reached is the node asked for; closes it otherwise. */
  private Connection<O, I> checked(Connection<O, I> connection) {
    synchronized (this) {
      if (closed) { // meanwhile, perhaps by the resolver: no connection of a closed pool goes out
        connection.closeAsync();
        throw new IllegalStateException(
            "the peer pool was closed while connecting to node " + nodeId);
      }
    }
    long announced = connection.peer().nodeId();
    if (announced == nodeId) {
      return connection;
    }
    connection.closeAsync();
    throw new TetherException(
        "expected node "
            + nodeId
            + " at "
            + connection.peer().address()
            + ", but the server there announced node "
            + announced
            + (announced == 0 ? " (anonymous: set TetherConfig.nodeId on that server)" : "")
            + "; the resolver's address for node "
            + nodeId
            + " is out of date, or that server has the wrong node id");
  }

  private void attempted(Connection<O, I> connection, Throwable failure) {
    boolean closeIt;
    synchronized (this) {
      dialling = null;
      closeIt = closed && connection != null;
      if (failure == null) {
        failuresInARow = 0;
        lastFailure = null;
      } else {
        Throwable cause = unwrap(failure);
        lastFailure = cause;
        if (!(cause instanceof UnknownPeerException)) { // nothing was dialled: no need to back off
          failuresInARow++;
          retryAtNanos = System.nanoTime() + retryDelay.nanosAfter(failuresInARow);
        }
        log.debug(
            "connect to node {} failed ({} in a row): {}",
            nodeId,
            failuresInARow,
            cause.toString());
      }
    }
    if (closeIt) {
      connection.closeAsync();
    }
  }

  private TetherException backingOff(long waitNanos) {
    SocketAddress address = lastAddress;
    return new TetherException(
        "node "
            + nodeId
            + (address != null ? " (last tried at " + address + ")" : "")
            + " is unreachable: "
            + failuresInARow
            + (failuresInARow == 1 ? " connect" : " connects")
            + " failed in a row, the last with: "
            + describe(lastFailure)
            + "; not trying again for "
            + Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos))
            + " ms",
        lastFailure);
  }

  /** The last failure's message, without the node named in front: the message names it first. */
  private String describe(Throwable t) {
    if (t == null) {
      return "(none)";
    }
    if (t.getMessage() == null) {
      return t.toString();
    }
    return t.getMessage().startsWith(prefix())
        ? t.getMessage().substring(prefix().length())
        : t.getMessage();
  }

  static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  @Override
  public String toString() {
    return "link to node " + nodeId;
  }
}
