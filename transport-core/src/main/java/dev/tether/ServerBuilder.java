package dev.tether;

import dev.tether.internal.engine.Handlers;
import dev.tether.internal.engine.RealServer;
import dev.tether.internal.engine.Security;
import dev.tether.internal.route.TypeRoutes;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;

/** Configures and binds a {@link Server}; obtained from {@link Tether#server}. Not thread safe. */
public final class ServerBuilder<O, I> {
  private final MessageTypes types;
  private TetherConfig config = TetherConfig.defaults();
  private String name = "";
  private final Handlers<O, I> handlers = new Handlers<>();
  private TetherRuntime runtime = TetherRuntime.shared();
  private int maxConnections = Integer.MAX_VALUE;
  private boolean singleClient;
  private final TypeRoutes<O, I> routes;
  private Duration sessionTimeout = DEFAULT_SESSION_TIMEOUT;
  private long maxDetachedSessionBytes = DEFAULT_MAX_DETACHED_SESSION_BYTES;
  private TlsConfig tls;
  private Authorizer authorizer;

  /**
   * 30 s: how long a resumable session whose socket failed waits for its client by default; long
   * enough for a restart of the network path, short enough that a dead client's memory returns.
   */
  public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(30);

  /** 64 MiB: what all sessions waiting for their clients may hold together, by default. */
  public static final long DEFAULT_MAX_DETACHED_SESSION_BYTES = 64L * 1024 * 1024;

  ServerBuilder(MessageTypes types) {
    this.types = Objects.requireNonNull(types, "types");
    this.routes = new TypeRoutes<>(types);
  }

  /** Sets limits, timeouts and codecs; see {@link TetherConfig}. */
  public ServerBuilder<O, I> config(TetherConfig config) {
    this.config = Objects.requireNonNull(config, "config");
    return this;
  }

  /** Accepts these codecs; shorthand for the config's codecs. */
  public ServerBuilder<O, I> codecs(String... names) {
    this.config = config.toBuilder().codecs(names).build();
    return this;
  }

  /**
   * Runs the server and its connections on {@code runtime}; {@link TetherRuntime#shared()} by
   * default.
   */
  public ServerBuilder<O, I> runtime(TetherRuntime runtime) {
    this.runtime = Objects.requireNonNull(runtime, "runtime");
    return this;
  }

  /**
   * Limits the clients the server admits at once; unlimited by default. A client takes its place
   * when the server accepts its HELLO, before the {@linkplain #authorizer authorizer} decides, and
   * gives it back when its connection has closed, so that clients connecting at once can never
   * exceed the limit together. A client beyond the limit is refused with GOAWAY(INTERNAL_ERROR)
   * whose reason names the limit, and its connect fails with a {@link HandshakeException} saying
   * so. A socket that has not sent its HELLO yet holds no place: the handshake timeout bounds how
   * long it stays, and the server never holds more than 256 sockets past the limit (in their
   * handshake, or being told they are refused): it closes any further one as soon as it is
   * accepted.
   *
   * @throws IllegalArgumentException if {@code max} is below 1
   */
  public ServerBuilder<O, I> maxConnections(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("maxConnections must be at least 1, was " + max);
    }
    this.maxConnections = max;
    return this;
  }

  /**
   * Serves one client at a time: once a new client has completed its handshake, the current one is
   * closed with GOAWAY({@link GoAwayCode#REPLACED}) and a reason naming the newcomer's address and
   * node id. The close is graceful (PROTOCOL.md §8): the replaced client's messages already
   * received are still handled and its requests answered, and its own {@link Connection#onClose()}
   * (and every send it tries afterwards) reports {@link ConnectionClosedException#code()} {@code
   * REPLACED}. For a primary that streams to one replica or a WAL receiver, where a reconnecting
   * sender must take over from its stale predecessor at once, without waiting for the idle timeout.
   */
  public ServerBuilder<O, I> singleClient() {
    this.singleClient = true;
    return this;
  }

  /**
   * Lets clients that ask for it ({@link ClientBuilder#reconnect}) resume their session after their
   * socket fails (PROTOCOL.md §13): the server keeps such a session, with what it sent and the
   * client had not acknowledged, for {@code timeout}, within {@code maxDetachedBytes} of memory for
   * all such sessions together (the frames each keeps, and 8 KiB for the session itself; past it
   * the longest-waiting ones are let go first). While a session waits, its handler sees nothing;
   * sends to it queue within the outbound bound, and count against {@code maxDetachedBytes} as they
   * are queued. A session that times out closes, its close reason saying so. On by default (30 s,
   * 64 MiB); {@code Duration.ZERO} turns resumption off, and clients then start a new session on
   * each reconnect.
   *
   * @throws IllegalArgumentException if a value is negative
   */
  public ServerBuilder<O, I> sessionResumption(Duration timeout, long maxDetachedBytes) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || maxDetachedBytes < 0) {
      throw new IllegalArgumentException("session timeout and memory must not be negative");
    }
    this.sessionTimeout = timeout;
    this.maxDetachedSessionBytes = maxDetachedBytes;
    return this;
  }

  /** Sets the name the server announces and that clients may check; empty by default. */
  public ServerBuilder<O, I> name(String name) {
    this.name = Objects.requireNonNull(name, "name");
    return this;
  }

  /**
   * Accepts TLS connections only, presenting the certificate of {@code tls} and, if it {@linkplain
   * TlsConfig#clientCertificateRequired() requires client certificates}, checking the clients'. A
   * client that connects without TLS is refused with GOAWAY(PROTOCOL_ERROR) saying that this server
   * requires TLS. TCP only.
   */
  public ServerBuilder<O, I> tls(TlsConfig tls) {
    this.tls = Objects.requireNonNull(tls, "tls");
    return this;
  }

  /**
   * Admits or refuses each client once its handshake is complete, from its verified certificate
   * chain, its credentials and its HELLO; see {@link Authorizer}. Without one, every client that
   * completes the handshake (and TLS, if configured) is admitted. A client resuming a session
   * (PROTOCOL.md §13) is admitted again on its new socket.
   */
  public ServerBuilder<O, I> authorizer(Authorizer authorizer) {
    this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
    return this;
  }

  /** Tells {@code handler} about each connection once its handshake has completed. */
  public ServerBuilder<O, I> onConnection(ConnectionHandler<O, I> handler) {
    handlers.onConnection = handler;
    return this;
  }

  /**
   * Delivers every connection's messages to {@code handler}, except those of a type routed with
   * {@link #onMessage(Class, TypedMessageHandler)}; without any message handler, use {@link
   * Connection#receive}.
   */
  public ServerBuilder<O, I> onMessage(MessageHandler<O, I> handler) {
    handlers.onMessage = handler;
    return this;
  }

  /**
   * Delivers every connection's messages of class {@code type} (or, for an interface or superclass,
   * of its registered subtypes) to {@code handler}, instead of the general {@link
   * #onMessage(MessageHandler)} handler, so that each type gets its own typed handler:
   *
   * <pre>{@code
   * Tether.<KvMessage, KvMessage>server(types)
   *     .onMessage(Put.class, (connection, put) -> store.put(put.key(), put.value()))
   *     .onMessage(Delete.class, (connection, delete) -> store.remove(delete.key()))
   * }</pre>
   *
   * <p>A message goes to the route of its exact class, else to the first route added for one of its
   * supertypes, else to the general handler. A message that none of these takes is a handler
   * failure, handled as {@link TetherConfig#handlerFailurePolicy()} says (by default the connection
   * closes with INTERNAL_ERROR, its reason naming the type). Ordering and threading are those of
   * {@link MessageHandler}: one connection's messages are handled one at a time, in order, whatever
   * their type.
   *
   * @throws IllegalArgumentException if {@code type} is not registered in the {@link MessageTypes}
   *     (nor a supertype of a registered type), or is routed already
   */
  public <M extends I> ServerBuilder<O, I> onMessage(
      Class<M> type, TypedMessageHandler<O, I, ? super M> handler) {
    routes.message(type, handler);
    return this;
  }

  /**
   * Answers requests of class {@code type} (or of its registered subtypes) with {@code handler},
   * instead of the general request handler:
   *
   * <pre>{@code
   * .onRequest(Get.class, (connection, get) -> new Value(get.key(), store.get(get.key())))
   * }</pre>
   *
   * <p>Routed like {@link #onMessage(Class, TypedMessageHandler)}. A request that no route and no
   * general handler takes is answered with {@link RequestErrorCode#NO_HANDLER}, its message naming
   * the type; the connection stays up. The requester can name the response type it expects with
   * {@link Connection#request(Object, Class)}.
   *
   * @throws IllegalArgumentException if {@code type} is not registered, or is routed already
   */
  public <Q extends I> ServerBuilder<O, I> onRequest(
      Class<Q> type, TypedRequestHandler<O, I, ? super Q> handler) {
    routes.request(type, handler);
    return this;
  }

  /**
   * Answers requests, except those of a type routed with {@link #onRequest(Class,
   * TypedRequestHandler)}.
   */
  public ServerBuilder<O, I> onRequest(RequestHandler<O, I> handler) {
    handlers.onRequest = Handlers.async(handler);
    return this;
  }

  /** Answers requests asynchronously, except those of a type routed by class. */
  public ServerBuilder<O, I> onRequestAsync(AsyncRequestHandler<O, I> handler) {
    handlers.onRequest = handler;
    return this;
  }

  /**
   * Tells {@code handler} when a connection has closed and why; only for connections that completed
   * their handshake (refused ones are logged instead).
   */
  public ServerBuilder<O, I> onClose(CloseHandler<O, I> handler) {
    handlers.onClose = handler;
    return this;
  }

  /**
   * Binds and starts accepting.
   *
   * @param address an {@link java.net.InetSocketAddress} (port 0 picks a free port) or a {@link
   *     java.net.UnixDomainSocketAddress}: a path where nothing exists yet, or the socket file of a
   *     server that died without removing it (nobody listens on it), which is removed; the server
   *     removes its socket file when it closes, unless the path holds another file by then (a newer
   *     server's, made after this one's was removed)
   * @throws TetherException if the address cannot be bound, with the I/O error as its cause
   * @throws IllegalArgumentException if a configured codec is not on the class path or fails to
   *     initialise
   * @throws IllegalStateException if the runtime is closed
   */
  public Server<O, I> bind(SocketAddress address) {
    Objects.requireNonNull(address, "address");
    Handlers<O, I> routed = handlers.copy();
    routes.applyTo(routed);
    return RealServer.bind(
        address,
        types,
        config,
        name,
        routed,
        runtime.group(),
        maxConnections,
        sessionTimeout,
        maxDetachedSessionBytes,
        singleClient,
        new Security(tls, authorizer, null));
  }
}
