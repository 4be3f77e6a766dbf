package dev.tether.internal.engine;

import dev.tether.Connection;
import dev.tether.MessageTypes;
import dev.tether.TetherConfig;
import dev.tether.TetherException;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Opens client connections: connect, handshake, then hand the connection to the caller. */
public final class Connector {
  private Connector() {}

  /**
   * Starts connecting; the future completes once the handshake has completed, or fails with the
   * reason.
   */
  public static <O, I> CompletableFuture<Connection<O, I>> connect(
      SocketAddress address,
      MessageTypes types,
      TetherConfig config,
      String expectedServerName,
      Handlers<O, I> handlers) {
    CompletableFuture<Connection<O, I>> result = new CompletableFuture<>();
    List<String> codecs;
    try {
      codecs = CodecRegistry.resolve(config.codecs(), types);
    } catch (IllegalArgumentException e) {
      result.completeExceptionally(e);
      return result;
    }
    SocketChannel channel;
    try {
      channel = Channels.openClient(address);
    } catch (IOException e) {
      result.completeExceptionally(
          new TetherException(
              "cannot open a socket for " + Channels.describe(address) + ": " + e.getMessage(), e));
      return result;
    }
    EventLoopGroup group = EventLoopGroup.shared();
    EventLoop loop = group.next();
    RealConnection.ConnectionListener listener =
        new RealConnection.ConnectionListener() {
          @Override
          @SuppressWarnings("unchecked")
          public void onOpen(RealConnection<?, ?> connection) {
            group.handlerPool().execute(() -> result.complete((Connection<O, I>) connection));
          }

          @Override
          public void onHandshakeFailed(RealConnection<?, ?> connection, TetherException cause) {
            if (!result.isDone()) {
              group.handlerPool().execute(() -> result.completeExceptionally(cause));
            }
          }

          @Override
          public void onClosed(RealConnection<?, ?> connection) {}
        };
    loop.execute(
        () -> {
          RealConnection<O, I> connection =
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
                  listener);
          try {
            boolean connected = channel.connect(address);
            connection.register(connected);
          } catch (IOException e) {
            closeQuietly(channel);
            result.completeExceptionally(
                new TetherException(
                    "cannot connect to " + Channels.describe(address) + ": " + e.getMessage(), e));
          }
        });
    return result;
  }

  private static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // nothing more to do: the connect already failed
    }
  }
}
