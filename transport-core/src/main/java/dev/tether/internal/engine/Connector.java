package dev.tether.internal.engine;

import dev.tether.Connection;
import dev.tether.MessageTypes;
import dev.tether.ReconnectPolicy;
import dev.tether.TetherConfig;
import dev.tether.TetherException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Opens client connections: resolve, connect, handshake, then hand the connection to the caller.
 * Every failure completes the future, whatever it is; a future the caller cancels (or gives up on)
 * closes the connection it would have delivered, so nothing is left behind.
 */
public final class Connector {
  private Connector() {}

  /**
   * Starts connecting; the future completes once the handshake has completed, or fails with the
   * reason. Resolving a host name happens on the handler executor, never on an event loop.
   */
  public static <O, I> CompletableFuture<Connection<O, I>> connect(
      SocketAddress address,
      MessageTypes types,
      TetherConfig config,
      String expectedServerName,
      Handlers<O, I> handlers,
      LoopGroup group,
      ReconnectPolicy reconnect,
      Security security) {
    CompletableFuture<Connection<O, I>> result = new CompletableFuture<>();
    List<String> codecs;
    try {
      security.check(address, false);
      codecs = CodecRegistry.startable(config.codecs(), types, config.codecLimits());
    } catch (IllegalArgumentException e) {
      result.completeExceptionally(e);
      return result;
    }
    Attempt<O, I> attempt =
        new Attempt<>(
            result,
            types,
            config,
            codecs,
            expectedServerName,
            handlers,
            group,
            reconnect,
            security);
    if (address instanceof InetSocketAddress inet && inet.isUnresolved()) {
      try {
        group.handlerExecutor().execute(() -> attempt.resolveAndStart(inet));
      } catch (RuntimeException e) {
        result.completeExceptionally(
            new TetherException("cannot resolve " + inet.getHostString() + ": " + e, e));
      }
    } else {
      attempt.start(address);
    }
    return result;
  }

  /**
   * Returns true if {@code connection}, though not open, is a reconnecting client that answers its
   * server's graceful shutdown (GOAWAY SHUTTING_DOWN) and will reconnect once that is over: it is
   * still the connection to that server, and whoever holds it should not replace it.
   */
  public static boolean comesBack(Connection<?, ?> connection) {
    return connection instanceof RealConnection<?, ?> c
        && c.state() != ConnectionState.CLOSED
        && c.closer.reopensAfterClose();
  }

  /** One connect attempt and what it created, so that a cancel can undo it. */
  private static final class Attempt<O, I> implements RealConnection.Listener {
    private final CompletableFuture<Connection<O, I>> result;
    private final MessageTypes types;
    private final TetherConfig config;
    private final List<String> codecs;
    private final String expectedServerName;
    private final Handlers<O, I> handlers;
    private final LoopGroup group;
    private final Executor executor;
    private final ReconnectPolicy reconnect;
    private final Security security;
    private final AtomicReference<RealConnection<O, I>> connection = new AtomicReference<>();

    Attempt(
        CompletableFuture<Connection<O, I>> result,
        MessageTypes types,
        TetherConfig config,
        List<String> codecs,
        String expectedServerName,
        Handlers<O, I> handlers,
        LoopGroup group,
        ReconnectPolicy reconnect,
        Security security) {
      this.result = result;
      this.reconnect = reconnect;
      this.security = security;
      this.types = types;
      this.config = config;
      this.codecs = codecs;
      this.expectedServerName = expectedServerName;
      this.handlers = handlers;
      this.group = group;
      this.executor = group.handlerExecutor();
      result.whenComplete(
          (c, e) -> {
            RealConnection<O, I> created = connection.get();
            if (result.isCancelled() && created != null) {
              created.closer.abortSoon("the connect was cancelled");
            }
          });
    }

    void resolveAndStart(InetSocketAddress unresolved) {
      if (result.isDone()) {
        return;
      }
      InetSocketAddress resolved =
          new InetSocketAddress(unresolved.getHostString(), unresolved.getPort());
      if (resolved.isUnresolved()) {
        result.completeExceptionally(
            new TetherException(
                "cannot connect to "
                    + Channels.describe(unresolved)
                    + ": the host name does not resolve"));
        return;
      }
      start(resolved);
    }

    void start(SocketAddress address) {
      if (result.isDone()) {
        return;
      }
      SocketChannel channel;
      EventLoop loop;
      try {
        channel = Channels.openClient(address);
        loop = group.next();
      } catch (IOException | RuntimeException e) {
        result.completeExceptionally(
            new TetherException(
                "cannot open a socket for " + Channels.describe(address) + ": " + e.getMessage(),
                e));
        return;
      }
      loop.execute(
          () -> {
            RealConnection<O, I> c =
                new RealConnection<>(
                    loop,
                    channel,
                    true,
                    types,
                    config,
                    codecs,
                    expectedServerName,
                    handlers,
                    address,
                    executor,
                    this,
                    reconnect,
                    security);
            connection.set(c);
            if (result.isDone()) {
              Channels.closeQuietly(channel);
              return;
            }
            try {
              boolean connected = channel.connect(address);
              if (connected) {
                Channels.refuseSelfConnect(channel);
              }
              c.register(!connected);
            } catch (IOException | RuntimeException e) {
              Channels.closeQuietly(channel);
              result.completeExceptionally(
                  new TetherException(
                      "cannot connect to " + Channels.describe(address) + ": " + describe(e), e));
            }
          });
    }

    private static String describe(Exception e) {
      return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    @Override
    @SuppressWarnings("unchecked")
    public void onOpen(RealConnection<?, ?> c) {
      completeOnExecutor(
          () -> {
            if (!result.complete((Connection<O, I>) c)) {
              ((RealConnection<O, I>) c).closer.abortSoon("the connect was cancelled or timed out");
            }
          });
    }

    @Override
    public void onHandshakeFailed(RealConnection<?, ?> c, TetherException cause) {
      if (!result.isDone()) {
        completeOnExecutor(() -> result.completeExceptionally(cause));
      }
    }

    /**
     * Completes the connect on the handler executor, so that the caller's dependent actions never
     * run on a loop; here, if that executor refuses (one the application gave the runtime, and shut
     * down), rather than never.
     */
    private void completeOnExecutor(Runnable completion) {
      Execution.onOrHere(executor, completion);
    }

    @Override
    public void onClosed(RealConnection<?, ?> c) {}
  }
}
