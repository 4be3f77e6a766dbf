package dev.tether;

import dev.tether.internal.cluster.RealPeerPool;
import dev.tether.internal.engine.Connector;
import dev.tether.internal.engine.EventLoop;
import dev.tether.internal.engine.Handlers;
import dev.tether.internal.engine.Security;
import dev.tether.internal.route.TypeRoutes;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Configures and opens client connections; obtained from {@link Tether#client}. Not thread safe;
 * the connections it opens are.
 */
public final class ClientBuilder<O, I> {
  private final MessageTypes types;
  private TetherConfig config = TetherConfig.defaults();
  private String expectedServerName = "";
  private final Handlers<O, I> handlers;
  private TetherRuntime runtime = TetherRuntime.shared();
  private ReconnectPolicy reconnect;
  private final TypeRoutes<O, I> routes;

  /** Time a pool's blocking connect allows its resolver, beyond the connect and handshake. */
  private static final long RESOLVE_ALLOWANCE_MILLIS = 5000;

  private TlsConfig tls;
  private Authorizer authorizer;
  private Credentials credentials;

  ClientBuilder(MessageTypes types) {
    this.types = Objects.requireNonNull(types, "types");
    this.routes = new TypeRoutes<>(types);
    this.handlers = new Handlers<>();
  }

  /** A builder with this one's settings, that later changes to this one do not affect. */
  private ClientBuilder(ClientBuilder<O, I> other) {
    this.types = other.types;
    this.config = other.config;
    this.expectedServerName = other.expectedServerName;
    this.runtime = other.runtime;
    this.reconnect = other.reconnect;
    this.routes = other.routes.copy();
    this.handlers = other.handlers.copy();
    this.tls = other.tls;
    this.authorizer = other.authorizer;
    this.credentials = other.credentials;
  }

  /** Sets limits, timeouts and codecs; see {@link TetherConfig}. */
  public ClientBuilder<O, I> config(TetherConfig config) {
    this.config = Objects.requireNonNull(config, "config");
    return this;
  }

  /** Offers these codecs, most preferred first; shorthand for the config's codecs. */
  public ClientBuilder<O, I> codecs(String... names) {
    this.config = config.toBuilder().codecs(names).build();
    return this;
  }

  /** Runs connections on {@code runtime}; {@link TetherRuntime#shared()} by default. */
  public ClientBuilder<O, I> runtime(TetherRuntime runtime) {
    this.runtime = Objects.requireNonNull(runtime, "runtime");
    return this;
  }

  /**
   * Makes the connection survive the network: when its socket fails it reconnects as {@code policy}
   * says and, if the server agrees, resumes its session so that nothing is lost or delivered twice
   * (PROTOCOL.md §13). It also follows the server through a planned restart: after the server's
   * graceful shutdown (GOAWAY SHUTTING_DOWN) it reconnects, with a new session, rather than
   * closing. The first {@link #connect} is not retried: it fails as usual if the server cannot be
   * reached. See {@link ReconnectPolicy} for what sends do meanwhile.
   */
  public ClientBuilder<O, I> reconnect(ReconnectPolicy policy) {
    this.reconnect = Objects.requireNonNull(policy, "policy");
    return this;
  }

  /** Tells {@code listener} what happens to a reconnecting connection; see {@link #reconnect}. */
  public ClientBuilder<O, I> onReconnect(ReconnectListener<O, I> listener) {
    handlers.onReconnect = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /**
   * Connects with TLS: checks the server's certificate against the trust material of {@code tls}
   * and the host name (see {@link TlsConfig}), and presents this side's certificate if it has one.
   * A server that does not use TLS fails the connect with a {@link HandshakeException} saying so.
   * TCP only. A reconnect (see {@link #reconnect}) makes a new TLS handshake on its new socket.
   */
  public ClientBuilder<O, I> tls(TlsConfig tls) {
    this.tls = Objects.requireNonNull(tls, "tls");
    return this;
  }

  /**
   * Sends these credentials in the HELLO, for the server's {@link Authorizer}. Without TLS they
   * cross the network in the clear; see {@link Credentials}.
   */
  public ClientBuilder<O, I> credentials(Credentials credentials) {
    this.credentials = Objects.requireNonNull(credentials, "credentials");
    return this;
  }

  /**
   * Checks the server once its handshake is complete, beyond what TLS checks (say, which node's
   * certificate it presents); a refused server is sent GOAWAY(UNAUTHORIZED) and the connect fails
   * with a {@link HandshakeException}. See {@link Authorizer}.
   */
  public ClientBuilder<O, I> authorizer(Authorizer authorizer) {
    this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
    return this;
  }

  /** Tells {@code handler} about the connection once its handshake has completed. */
  public ClientBuilder<O, I> onConnection(ConnectionHandler<O, I> handler) {
    handlers.onConnection = handler;
    return this;
  }

  /** Refuses servers that announce another name; empty (the default) checks nothing. */
  public ClientBuilder<O, I> expectServerName(String name) {
    this.expectedServerName = Objects.requireNonNull(name, "name");
    return this;
  }

  /**
   * Delivers received messages to {@code handler}, except those of a type routed with {@link
   * #onMessage(Class, TypedMessageHandler)}; without any message handler, use {@link
   * Connection#receive}.
   */
  public ClientBuilder<O, I> onMessage(MessageHandler<O, I> handler) {
    handlers.onMessage = handler;
    return this;
  }

  /**
   * Delivers received messages of class {@code type} (or of its registered subtypes) to {@code
   * handler}; routed as {@link ServerBuilder#onMessage(Class, TypedMessageHandler)} describes.
   *
   * @throws IllegalArgumentException if {@code type} is not registered, or is routed already
   */
  public <M extends I> ClientBuilder<O, I> onMessage(
      Class<M> type, TypedMessageHandler<O, I, ? super M> handler) {
    routes.message(type, handler);
    return this;
  }

  /**
   * Answers the server's requests of class {@code type} (or of its registered subtypes) with {@code
   * handler}; routed as {@link ServerBuilder#onRequest(Class, TypedRequestHandler)} describes.
   *
   * @throws IllegalArgumentException if {@code type} is not registered, or is routed already
   */
  public <Q extends I> ClientBuilder<O, I> onRequest(
      Class<Q> type, TypedRequestHandler<O, I, ? super Q> handler) {
    routes.request(type, handler);
    return this;
  }

  /** Answers the server's requests, except those of a type routed by class. */
  public ClientBuilder<O, I> onRequest(RequestHandler<O, I> handler) {
    handlers.onRequest = Handlers.async(handler);
    return this;
  }

  /** Answers the server's requests asynchronously, except those of a type routed by class. */
  public ClientBuilder<O, I> onRequestAsync(AsyncRequestHandler<O, I> handler) {
    handlers.onRequest = handler;
    return this;
  }

  /** Tells {@code handler} when the connection has closed and why. */
  public ClientBuilder<O, I> onClose(CloseHandler<O, I> handler) {
    handlers.onClose = handler;
    return this;
  }

  /**
   * Connects and completes the handshake, waiting at most the connect timeout plus the handshake
   * timeout, whatever happens (an unresolvable name, a silent server). A connect that times out or
   * is interrupted leaves no connection behind.
   *
   * @param address an {@link java.net.InetSocketAddress} for TCP (an unresolved one is resolved
   *     first) or a {@link java.net.UnixDomainSocketAddress}
   * @throws HandshakeException if the server refused this client, or is not a Tether endpoint
   * @throws TetherTimeoutException if the connect or the handshake timed out
   * @throws TetherException if the connection failed otherwise, with the I/O error as its cause, or
   *     if the calling thread was interrupted while it waited (its interrupt status stays set, and
   *     the connection being made is closed)
   * @throws IllegalStateException if called on an event loop (in a handler that always runs on the
   *     loop, {@link TetherConfig.Builder#handlersOnEventLoop()}), which must not wait: use {@link
   *     #connectAsync} there
   */
  public Connection<O, I> connect(SocketAddress address) {
    EventLoop.refuseToWaitOnLoop("connecting to " + address);
    CompletableFuture<Connection<O, I>> future = connectAsync(address);
    long waitMillis =
        saturatedMillis(config.connectTimeout())
            + saturatedMillis(config.handshakeTimeout())
            + 1000;
    try {
      return future.get(waitMillis, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof TetherException te) {
        throw te;
      }
      if (cause instanceof IllegalArgumentException iae) {
        throw iae;
      }
      throw new TetherException("connect to " + address + " failed: " + cause, cause);
    } catch (TimeoutException e) {
      future.cancel(false);
      throw new TetherTimeoutException(
          "connect to " + address + " did not complete within " + waitMillis + " ms");
    } catch (InterruptedException e) {
      future.cancel(false);
      Thread.currentThread().interrupt();
      throw new TetherException("interrupted while connecting to " + address, e);
    }
  }

  /**
   * Returns a pool of connections to peers by node id, with addresses from {@code resolver} and the
   * default retry delays ({@link PeerPool#DEFAULT_FIRST_RETRY_DELAY} doubling up to {@link
   * PeerPool#DEFAULT_MAX_RETRY_DELAY}). Every connection of the pool gets this builder's settings
   * and handlers as they are now; later changes to the builder do not affect the pool.
   *
   * <p>With a {@link #reconnect} policy, each of the pool's connections reconnects (and resumes its
   * session) by itself at the address it was made for, and stays the pool's connection while it
   * does; the pool asks the resolver for a new address only once such a connection has given up and
   * closed.
   */
  public PeerPool<O, I> peerPool(PeerResolver resolver) {
    return peerPool(resolver, PeerPool.DEFAULT_FIRST_RETRY_DELAY, PeerPool.DEFAULT_MAX_RETRY_DELAY);
  }

  /**
   * Like {@link #peerPool(PeerResolver)}, with the delay before the first retry after a failed
   * connect, doubled (with jitter) after each further failure in a row up to {@code maxRetryDelay}.
   *
   * @throws IllegalArgumentException if {@code firstRetryDelay} is not positive or {@code
   *     maxRetryDelay} is shorter
   */
  public PeerPool<O, I> peerPool(
      PeerResolver resolver, Duration firstRetryDelay, Duration maxRetryDelay) {
    Objects.requireNonNull(resolver, "resolver");
    ClientBuilder<O, I> snapshot = new ClientBuilder<>(this);
    Duration connectWait =
        Duration.ofMillis(
            saturatedMillis(config.connectTimeout())
                + saturatedMillis(config.handshakeTimeout())
                + RESOLVE_ALLOWANCE_MILLIS);
    return new RealPeerPool<>(
        resolver,
        snapshot::connectAsync,
        runtime.handlerExecutor(),
        Objects.requireNonNull(firstRetryDelay, "firstRetryDelay"),
        Objects.requireNonNull(maxRetryDelay, "maxRetryDelay"),
        connectWait,
        config.drainTimeout().plusSeconds(1),
        config.requestTimeout());
  }

  /** Milliseconds of a duration, capped far below overflow (a century is "forever" here). */
  private static long saturatedMillis(Duration d) {
    return d.getSeconds() >= 3_155_760_000L ? 3_155_760_000_000L : d.toMillis();
  }

  /**
   * Like {@link #connect} without blocking; the future fails with the same exceptions. Cancelling
   * it closes the connection it would have delivered.
   */
  public CompletableFuture<Connection<O, I>> connectAsync(SocketAddress address) {
    Objects.requireNonNull(address, "address");
    Handlers<O, I> routed = handlers.copy();
    routes.applyTo(routed);
    return Connector.connect(
        address,
        types,
        config,
        expectedServerName,
        routed,
        runtime.group(),
        reconnect,
        new Security(tls, authorizer, credentials));
  }
}
