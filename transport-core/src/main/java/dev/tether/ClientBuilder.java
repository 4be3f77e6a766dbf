package dev.tether;

import dev.tether.internal.engine.Connector;
import dev.tether.internal.engine.Handlers;
import dev.tether.internal.engine.Security;
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
  private final Handlers<O, I> handlers = new Handlers<>();
  private TetherRuntime runtime = TetherRuntime.shared();
  private ReconnectPolicy reconnect;
  private TlsConfig tls;
  private Authorizer authorizer;
  private Credentials credentials;

  ClientBuilder(MessageTypes types) {
    this.types = Objects.requireNonNull(types, "types");
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
   * (PROTOCOL.md §13). The first {@link #connect} is not retried: it fails as usual if the server
   * cannot be reached. See {@link ReconnectPolicy} for what sends do meanwhile.
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

  /** Delivers received messages to {@code handler}; without one, use {@link Connection#receive}. */
  public ClientBuilder<O, I> onMessage(MessageHandler<O, I> handler) {
    handlers.onMessage = handler;
    return this;
  }

  /** Answers the server's requests. */
  public ClientBuilder<O, I> onRequest(RequestHandler<O, I> handler) {
    handlers.onRequest = Handlers.async(handler);
    return this;
  }

  /** Answers the server's requests asynchronously. */
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
   * @throws TetherException if the connection failed otherwise, with the I/O error as its cause
   */
  public Connection<O, I> connect(SocketAddress address) {
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
    return Connector.connect(
        address,
        types,
        config,
        expectedServerName,
        handlers.copy(),
        runtime.group(),
        reconnect,
        new Security(tls, authorizer, credentials));
  }
}
