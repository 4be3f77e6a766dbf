package dev.tether.internal.engine;

import dev.tether.Connection;
import dev.tether.ConnectionClosedException;
import dev.tether.ConnectionMetrics;
import dev.tether.GoAwayCode;
import dev.tether.MessageTypes;
import dev.tether.PeerInfo;
import dev.tether.Server;
import dev.tether.ServerMetrics;
import dev.tether.TetherConfig;
import dev.tether.TetherException;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listening socket on one event loop that spreads accepted connections over the loops of its
 * runtime. When {@code accept} fails (out of file descriptors, say) it stops accepting for a moment
 * instead of spinning, as Netty's acceptor does; past {@code maxConnections} it refuses new clients
 * with a GOAWAY that says so. It indexes open connections by the node id their peer announced, and
 * in single-client mode closes the current client with GOAWAY(REPLACED) when a new one opens.
 */
public final class RealServer<O, I>
    implements Server<O, I>, EventLoop.Handler, RealConnection.Listener {
  private static final Logger log = LoggerFactory.getLogger(RealServer.class);

  /** Accepts per wake-up before the acceptor lets the loop serve its other channels. */
  private static final int ACCEPTS_PER_WAKEUP = 64;

  /** How long accepting pauses after a failed accept. */
  private static final long ACCEPT_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(1);

  /**
   * Refused clients still being told why, and sockets held past the limit; beyond this, new ones
   * are closed without a word.
   */
  private static final int MAX_REFUSING = 256;

  private final ServerSocketChannel channel;
  private final SocketAddress address;

  /**
   * The identity (device and inode) of the socket file this server made, for a Unix socket; null
   * for TCP, or where the file system gives none.
   */
  private final Object socketFile;

  private final MessageTypes types;
  private final TetherConfig config;
  private final List<String> codecs;
  private final String name;
  private final Handlers<O, I> handlers;
  private final LoopGroup group;
  private final EventLoop acceptLoop;
  private final int maxConnections;
  private final boolean singleClient;
  private final SessionRegistry sessions;

  /** Open connections by their peer's node id (not 0); the newest one if several share an id. */
  private final Map<Long, RealConnection<?, ?>> byNode = new ConcurrentHashMap<>();

  /** Orders single-client replacements, so that of two clients opening at once the later wins. */
  private final Object replacing = new Object();

  private final Security security;
  private final Set<RealConnection<?, ?>> all = ConcurrentHashMap.newKeySet();
  private final Set<RealConnection<?, ?>> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger refusing = new AtomicInteger();

  /**
   * Connections that hold one of the {@code maxConnections} places: taken when the HELLO is
   * admitted, before the authorizer decides and the connection opens, so that clients judged at
   * once on several loops cannot all take the last place; given back when the connection closes.
   */
  private final Set<RealConnection<?, ?>> placed = ConcurrentHashMap.newKeySet();

  private final AtomicInteger places = new AtomicInteger();
  private volatile boolean closing;
  private SelectionKey acceptKey;
  private long acceptFailures;

  /** Sockets closed at once past the limit; acceptor thread only. */
  private long closedUntold;

  private final LongAdder acceptedCount = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final AutoCloseable unbindOnRuntimeClose = this::unbind;

  /** Counters of connections that have closed: messages and bytes sent and received. */
  private final LongAdder closedMessagesSent = new LongAdder();

  private final LongAdder closedMessagesReceived = new LongAdder();
  private final LongAdder closedBytesSent = new LongAdder();
  private final LongAdder closedBytesReceived = new LongAdder();

  /**
   * The highest totals {@link #metrics()} reported. A connection closing, or handing its socket to
   * the session it resumes, is for a moment counted neither among the live connections nor among
   * the closed ones; a total read then is short of the last, and counters published as monotonic
   * ({@code TetherMeters}) would go down. The totals reported never go below these.
   */
  private final AtomicLong reportedMessagesSent = new AtomicLong();

  private final AtomicLong reportedMessagesReceived = new AtomicLong();
  private final AtomicLong reportedBytesSent = new AtomicLong();
  private final AtomicLong reportedBytesReceived = new AtomicLong();

  private final DeadlineQueue.Timer resumeAccepting =
      new DeadlineQueue.Timer() {
        @Override
        void onTimer(long now) {
          if (!closing && acceptKey != null && acceptKey.isValid()) {
            acceptKey.interestOps(SelectionKey.OP_ACCEPT);
          }
        }
      };

  private RealServer(
      ServerSocketChannel channel,
      MessageTypes types,
      TetherConfig config,
      List<String> codecs,
      String name,
      Handlers<O, I> handlers,
      LoopGroup group,
      int maxConnections,
      SessionRegistry sessions,
      boolean singleClient,
      Security security)
      throws IOException {
    this.channel = channel;
    this.address = channel.getLocalAddress();
    this.socketFile = Channels.socketFileKey(address);
    this.types = types;
    this.config = config;
    this.codecs = codecs;
    this.name = name;
    this.handlers = handlers;
    this.group = group;
    this.acceptLoop = group.next();
    this.maxConnections = maxConnections;
    this.sessions = sessions;
    this.singleClient = singleClient;
    this.security = security;
  }

  /** Binds and starts accepting; see {@link dev.tether.ServerBuilder#bind}. */
  public static <O, I> Server<O, I> bind(
      SocketAddress address,
      MessageTypes types,
      TetherConfig config,
      String name,
      Handlers<O, I> handlers,
      LoopGroup group,
      int maxConnections,
      Duration sessionTimeout,
      long maxDetachedSessionBytes,
      boolean singleClient,
      Security security) {
    security.check(address, true);
    List<String> codecs = CodecRegistry.startable(config.codecs(), types, config.codecLimits());
    SessionRegistry sessions =
        sessionTimeout.isZero()
            ? null
            : new SessionRegistry(sessionTimeout, maxDetachedSessionBytes);
    ServerSocketChannel channel;
    try {
      channel = Channels.openServer(address);
    } catch (IOException e) {
      throw new TetherException(
          "cannot bind " + Channels.describe(address) + ": " + e.getMessage(), e);
    }
    RealServer<O, I> server;
    try {
      server =
          new RealServer<>(
              channel,
              types,
              config,
              codecs,
              name,
              handlers,
              group,
              maxConnections,
              sessions,
              singleClient,
              security);
    } catch (IOException e) {
      Channels.closeQuietly(channel);
      throw new TetherException("cannot read the bound address of " + address, e);
    }
    CompletableFuture<Void> registered = new CompletableFuture<>();
    server.acceptLoop.execute(
        () -> {
          try {
            server.acceptKey =
                channel.register(server.acceptLoop.selector(), SelectionKey.OP_ACCEPT, server);
            registered.complete(null);
          } catch (IOException | RuntimeException e) {
            registered.completeExceptionally(e);
          }
        });
    try {
      registered.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      Channels.closeQuietly(channel);
      throw new TetherException("cannot start accepting on " + address + ": " + e, e);
    }
    group.register(server.unbindOnRuntimeClose);
    log.info(
        "listening on {} with codecs {}{}",
        server.address,
        codecs,
        security.tls() == null ? "" : ", TLS " + security.tls().protocols());
    return server;
  }

  @Override
  public void onReady(SelectionKey key) {
    for (int i = 0; i < ACCEPTS_PER_WAKEUP && !closing; i++) {
      SocketChannel accepted;
      try {
        accepted = channel.accept();
      } catch (IOException e) {
        backOff(e);
        return;
      }
      if (accepted == null) {
        return;
      }
      startConnection(accepted);
    }
  }

  /** Pauses accepting for a moment after a failure, logging once per pause rather than per try. */
  private void backOff(IOException e) {
    acceptFailures++;
    log.warn(
        "accept on {} failed ({}; {} failures so far); pausing accepts for {} ms",
        address,
        e.getMessage(),
        acceptFailures,
        TimeUnit.NANOSECONDS.toMillis(ACCEPT_BACKOFF_NANOS));
    if (acceptKey != null && acceptKey.isValid()) {
      acceptKey.interestOps(0);
      acceptLoop.schedule(resumeAccepting, System.nanoTime() + ACCEPT_BACKOFF_NANOS);
    }
  }

  @Override
  public void onFailure(Throwable failure) {
    log.error("acceptor of {} failed; pausing accepts", address, failure);
    backOff(new IOException(failure.toString()));
  }

  @Override
  public void onLoopStopped() {
    closing = true;
  }

  private void startConnection(SocketChannel accepted) {
    SocketAddress remote;
    try {
      Channels.configure(accepted);
      remote = accepted.getRemoteAddress();
    } catch (IOException e) {
      log.debug("dropping an accepted connection that failed: {}", e.getMessage());
      Channels.closeQuietly(accepted);
      return;
    }
    int held = all.size();
    if (held >= maxConnections
        && (refusing.get() >= MAX_REFUSING || held >= (long) maxConnections + MAX_REFUSING)) {
      // too many even to tell: at the limit, and as many more sockets held to be told (or still
      // in their handshake, which a flood of silent ones would otherwise grow without a bound)
      refused.increment();
      Channels.closeQuietly(accepted);
      if (closedUntold++ % 1000 == 0) {
        log.warn(
            "server {} is at its limit of {} connections and holds {} sockets: closed {} new"
                + " ones without a word so far",
            address,
            maxConnections,
            held,
            closedUntold);
      }
      return;
    }
    EventLoop loop = group.next();
    RealConnection<O, I> connection =
        new RealConnection<>(
            loop,
            accepted,
            false,
            types,
            config,
            codecs,
            name,
            handlers.copy(),
            remote,
            group.handlerExecutor(),
            this,
            null,
            security);
    all.add(connection);
    acceptedCount.increment();
    loop.execute(
        () -> {
          try {
            connection.register(false);
          } catch (IOException | RuntimeException e) {
            all.remove(connection);
            Channels.closeQuietly(accepted);
          }
        });
  }

  @Override
  public String admissionRefusal(RealConnection<?, ?> connection) {
    if (maxConnections == Integer.MAX_VALUE) {
      return null; // no limit: no place to keep, and no entry per connection
    }
    for (int taken = places.get(); taken < maxConnections; taken = places.get()) {
      if (places.compareAndSet(taken, taken + 1)) {
        placed.add(connection);
        return null;
      }
    }
    refusing.incrementAndGet();
    connection.onClose().whenComplete((c, e) -> refusing.decrementAndGet());
    return "server "
        + address
        + " is at its limit of "
        + maxConnections
        + " connections; try again later";
  }

  @Override
  public SessionRegistry sessions() {
    return sessions;
  }

  @Override
  public void onHandedOver(RealConnection<?, ?> connection) {
    all.remove(connection);
    givePlaceBack(connection);
  }

  private void givePlaceBack(RealConnection<?, ?> connection) {
    if (placed.remove(connection)) {
      places.decrementAndGet();
    }
  }

  @Override
  public void onOpen(RealConnection<?, ?> connection) {
    if (singleClient) {
      replaceOthers(connection);
    } else {
      open.add(connection);
    }
    long nodeId = connection.peer().nodeId();
    if (nodeId != 0) {
      byNode.put(nodeId, connection);
    }
    if (closing) {
      connection.closer.shutdown();
    }
  }

  /** Closes every other open connection with REPLACED, naming the newcomer. */
  private void replaceOthers(RealConnection<?, ?> newcomer) {
    long nodeId = newcomer.peer().nodeId();
    String reason =
        "replaced by a newer client, "
            + newcomer.peerName
            + (nodeId != 0 ? " (node " + nodeId + ")" : " (anonymous)")
            + ": server "
            + address
            + " serves one client at a time";
    synchronized (replacing) {
      open.add(newcomer);
      for (RealConnection<?, ?> c : open) {
        if (c != newcomer) {
          log.info("{}: {}", c, reason);
          c.closer.closeWith(GoAwayCode.REPLACED, reason);
        }
      }
    }
  }

  @Override
  public void onHandshakeFailed(RealConnection<?, ?> connection, TetherException cause) {
    if (cause instanceof ConnectionClosedException closed && !closed.isRemote()) {
      return; // this side refused the client, and said why in its log already: one line each
    }
    log.info("handshake with {} failed: {}", connection.peerName, cause.getMessage());
  }

  @Override
  public void onClosed(RealConnection<?, ?> connection) {
    if (!open.remove(connection)) {
      refused.increment();
    }
    unindex(connection);
    // out of the live set before its counts join the closed ones: metrics(), which reads the
    // closed ones first, may then miss them for a moment but never counts them twice
    all.remove(connection);
    ConnectionMetrics m = connection.metrics();
    closedMessagesSent.add(m.messagesSent());
    closedMessagesReceived.add(m.messagesReceived());
    closedBytesSent.add(m.bytesSent());
    closedBytesReceived.add(m.bytesReceived());
    givePlaceBack(connection);
  }

  /** Drops a closed connection from the node index, falling back to another with the same id. */
  private void unindex(RealConnection<?, ?> connection) {
    PeerInfo peer = connection.peer();
    if (peer == null || peer.nodeId() == 0 || !byNode.remove(peer.nodeId(), connection)) {
      return;
    }
    for (RealConnection<?, ?> other : open) {
      if (other.peer().nodeId() == peer.nodeId() && other.isOpen()) {
        byNode.putIfAbsent(peer.nodeId(), other);
        return;
      }
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public Optional<Connection<O, I>> connection(long nodeId) {
    if (nodeId == 0) {
      throw new IllegalArgumentException(
          "node id 0 is anonymous and names no client; clients announce their id with"
              + " TetherConfig.nodeId");
    }
    RealConnection<?, ?> c = byNode.get(nodeId);
    return c != null && c.isOpen() ? Optional.of((Connection<O, I>) c) : Optional.empty();
  }

  @Override
  public ServerMetrics metrics() {
    long messagesSent = closedMessagesSent.sum();
    long messagesReceived = closedMessagesReceived.sum();
    long bytesSent = closedBytesSent.sum();
    long bytesReceived = closedBytesReceived.sum();
    for (RealConnection<?, ?> c : all) {
      ConnectionMetrics m = c.metrics();
      messagesSent += m.messagesSent();
      messagesReceived += m.messagesReceived();
      bytesSent += m.bytesSent();
      bytesReceived += m.bytesReceived();
    }
    return new ServerMetrics(
        open.size(),
        acceptedCount.sum(),
        refused.sum(),
        reportedMessagesSent.accumulateAndGet(messagesSent, Math::max),
        reportedMessagesReceived.accumulateAndGet(messagesReceived, Math::max),
        reportedBytesSent.accumulateAndGet(bytesSent, Math::max),
        reportedBytesReceived.accumulateAndGet(bytesReceived, Math::max));
  }

  @Override
  public SocketAddress address() {
    return address;
  }

  @Override
  @SuppressWarnings("unchecked")
  public List<Connection<O, I>> connections() {
    List<Connection<O, I>> list = new ArrayList<>();
    for (RealConnection<?, ?> c : open) {
      list.add((Connection<O, I>) c);
    }
    return list;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void close() {
    close(config.drainTimeout().plusSeconds(1));
  }

  @Override
  public void close(Duration deadline) {
    if (closing) {
      return;
    }
    unbind();
    List<RealConnection<?, ?>> connections = new ArrayList<>(all);
    List<CompletableFuture<ConnectionClosedException>> closes = new ArrayList<>();
    boolean mayWait = true;
    for (RealConnection<?, ?> c : connections) {
      c.closer.shutdown();
      closes.add(c.onClose().toCompletableFuture());
      mayWait &= !EventLoop.cannotAwaitClose(c);
    }
    long millis = Deadlines.millis(deadline);
    CompletableFuture<Void> finished =
        CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new))
            .orTimeout(millis, TimeUnit.MILLISECONDS)
            .handle(
                (done, timeout) -> {
                  finishClose(connections, timeout != null, millis);
                  return null;
                });
    if (!mayWait) {
      // a handler of one of these connections, or a loop, that the closes wait for: waiting here
      // would hold them up until the deadline, so the rest happens when they are done
      return;
    }
    EventLoop.beforeWaiting(); // in another connection's handler on a loop: the loop goes on
    try {
      finished.get(); // bounded by orTimeout
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("finishing the close failed", e);
    }
  }

  private void finishClose(List<RealConnection<?, ?>> connections, boolean timedOut, long millis) {
    if (timedOut) {
      log.warn("{} connections did not close within {} ms; closing them now", all.size(), millis);
      for (RealConnection<?, ?> c : all) {
        c.closer.abortSoon("the server's close deadline passed");
      }
    }
    reportLosses(connections);
    log.info("server on {} closed", address);
  }

  /** One line per connection whose close lost or could not confirm messages. */
  private void reportLosses(List<RealConnection<?, ?>> connections) {
    for (RealConnection<?, ?> c : connections) {
      ConnectionClosedException cause = c.closer.closeCause();
      if (cause != null && c.peer() != null && !cause.isGraceful()) {
        log.warn("connection with {} did not close gracefully: {}", c.peerName, cause.reason());
      }
    }
  }

  /** Stops listening; connections carry on. */
  private void unbind() {
    if (closing) {
      return;
    }
    closing = true;
    group.unregister(unbindOnRuntimeClose);
    if (acceptLoop.inLoop()) {
      acceptLoop.cancel(resumeAccepting);
      Channels.closeQuietly(channel);
    } else {
      CountDownLatch unbound = new CountDownLatch(1);
      acceptLoop.execute(
          () -> {
            acceptLoop.cancel(resumeAccepting);
            Channels.closeQuietly(channel);
            unbound.countDown();
          });
      // a handler running on the accept loop hands it on, so that the loop can run the task
      EventLoop.beforeWaiting();
      try {
        if (!unbound.await(5, TimeUnit.SECONDS)) {
          Channels.closeQuietly(channel); // the loop is gone (runtime closed): close from here
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (address instanceof UnixDomainSocketAddress uds) {
      try {
        // the file at the path may be another server's by now: its own was removed, and a newer
        // server bound the path (a deploy that starts the next one before stopping this one)
        Object now = Channels.socketFileKey(address);
        if (now != null && (socketFile == null || socketFile.equals(now))) {
          Files.deleteIfExists(uds.getPath());
        }
      } catch (IOException e) {
        log.warn("cannot delete socket file {}: {}", uds.getPath(), e.getMessage());
      }
    }
  }
}
