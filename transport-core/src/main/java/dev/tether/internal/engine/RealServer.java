package dev.tether.internal.engine;

import dev.tether.Connection;
import dev.tether.ConnectionMetrics;
import dev.tether.MessageTypes;
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
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A listening socket on one event loop that spreads accepted connections over all loops. */
public final class RealServer<O, I>
    implements Server<O, I>, EventLoop.Handler, RealConnection.ConnectionListener {
  private static final Logger log = LoggerFactory.getLogger(RealServer.class);

  /** Accepts per wake-up before the acceptor lets the loop serve its other channels. */
  private static final int ACCEPTS_PER_WAKEUP = 64;

  private final ServerSocketChannel channel;
  private final SocketAddress address;
  private final MessageTypes types;
  private final TetherConfig config;
  private final List<String> codecs;
  private final String name;
  private final Handlers<O, I> handlers;
  private final EventLoopGroup group = EventLoopGroup.shared();
  private final EventLoop acceptLoop;
  private final Set<RealConnection<?, ?>> all = ConcurrentHashMap.newKeySet();
  private final Set<RealConnection<?, ?>> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closing;
  private final LongAdder acceptedCount = new LongAdder();
  private final LongAdder refused = new LongAdder();

  /** Counters of connections that have closed: messages and bytes sent and received. */
  private final LongAdder closedMessagesSent = new LongAdder();

  private final LongAdder closedMessagesReceived = new LongAdder();
  private final LongAdder closedBytesSent = new LongAdder();
  private final LongAdder closedBytesReceived = new LongAdder();

  private RealServer(
      ServerSocketChannel channel,
      MessageTypes types,
      TetherConfig config,
      List<String> codecs,
      String name,
      Handlers<O, I> handlers)
      throws IOException {
    this.channel = channel;
    this.address = channel.getLocalAddress();
    this.types = types;
    this.config = config;
    this.codecs = codecs;
    this.name = name;
    this.handlers = handlers;
    this.acceptLoop = group.next();
  }

  /** Binds and starts accepting; see {@link dev.tether.ServerBuilder#bind}. */
  public static <O, I> Server<O, I> bind(
      SocketAddress address,
      MessageTypes types,
      TetherConfig config,
      String name,
      Handlers<O, I> handlers) {
    List<String> codecs = CodecRegistry.resolve(config.codecs(), types);
    ServerSocketChannel channel;
    try {
      channel = Channels.openServer(address);
    } catch (IOException e) {
      throw new TetherException(
          "cannot bind " + Channels.describe(address) + ": " + e.getMessage(), e);
    }
    RealServer<O, I> server;
    try {
      server = new RealServer<>(channel, types, config, codecs, name, handlers);
    } catch (IOException e) {
      throw new TetherException("cannot read the bound address of " + address, e);
    }
    CompletableFuture<Void> registered = new CompletableFuture<>();
    server.acceptLoop.execute(
        () -> {
          try {
            channel.register(server.acceptLoop.selector(), SelectionKey.OP_ACCEPT, server);
            registered.complete(null);
          } catch (IOException e) {
            registered.completeExceptionally(e);
          }
        });
    registered.join();
    log.info("listening on {} with codecs {}", server.address, codecs);
    return server;
  }

  @Override
  public void onReady(SelectionKey key) {
    for (int i = 0; i < ACCEPTS_PER_WAKEUP && !closing; i++) {
      SocketChannel accepted;
      try {
        accepted = channel.accept();
      } catch (IOException e) {
        log.warn("accept on {} failed: {}", address, e.getMessage());
        return;
      }
      if (accepted == null) {
        return;
      }
      startConnection(accepted);
    }
  }

  private void startConnection(SocketChannel accepted) {
    SocketAddress remote;
    try {
      Channels.configure(accepted);
      remote = accepted.getRemoteAddress();
    } catch (IOException e) {
      log.debug("dropping an accepted connection that failed: {}", e.getMessage());
      closeQuietly(accepted);
      return;
    }
    EventLoop loop = group.next();
    RealConnection<O, I> connection =
        new RealConnection<>(
            loop, accepted, false, types, config, codecs, name, handlers.copy(), remote, this);
    all.add(connection);
    acceptedCount.increment();
    loop.execute(
        () -> {
          try {
            connection.register(true);
          } catch (IOException e) {
            all.remove(connection);
            closeQuietly(accepted);
          }
        });
  }

  @Override
  public void onOpen(RealConnection<?, ?> connection) {
    open.add(connection);
    if (closing) {
      connection.shutdown();
    }
  }

  @Override
  public void onHandshakeFailed(RealConnection<?, ?> connection, TetherException cause) {
    log.info("handshake with {} failed: {}", connection.peerName, cause.getMessage());
  }

  @Override
  public void onClosed(RealConnection<?, ?> connection) {
    if (!open.remove(connection)) {
      refused.increment();
    }
    ConnectionMetrics m = connection.metrics();
    closedMessagesSent.add(m.messagesSent());
    closedMessagesReceived.add(m.messagesReceived());
    closedBytesSent.add(m.bytesSent());
    closedBytesReceived.add(m.bytesReceived());
    all.remove(connection);
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
        messagesSent,
        messagesReceived,
        bytesSent,
        bytesReceived);
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
    closing = true;
    CountDownLatch unbound = new CountDownLatch(1);
    acceptLoop.execute(
        () -> {
          closeQuietly(channel);
          unbound.countDown();
        });
    try {
      unbound.await(deadline.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (address instanceof UnixDomainSocketAddress uds) {
      try {
        Files.deleteIfExists(uds.getPath());
      } catch (IOException e) {
        log.warn("cannot delete socket file {}: {}", uds.getPath(), e.getMessage());
      }
    }
    List<CompletableFuture<?>> closes = new ArrayList<>();
    for (RealConnection<?, ?> c : all) {
      c.shutdown();
      closes.add(c.onClose().toCompletableFuture());
    }
    try {
      CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new))
          .get(deadline.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      log.warn(
          "{} connections did not close within {} ms; closing them now",
          all.size(),
          deadline.toMillis());
      for (RealConnection<?, ?> c : all) {
        c.abort("server close deadline passed");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("close futures never fail", e);
    }
    log.info("server on {} closed", address);
  }

  private static void closeQuietly(java.nio.channels.Channel c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
