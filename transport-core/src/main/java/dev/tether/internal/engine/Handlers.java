package dev.tether.internal.engine;

import dev.tether.AsyncRequestHandler;
import dev.tether.CloseHandler;
import dev.tether.ConnectionHandler;
import dev.tether.MessageHandler;
import dev.tether.ReconnectListener;
import dev.tether.RequestHandler;
import java.util.concurrent.CompletableFuture;

/** The user's callbacks for a connection; any may be null. */
public final class Handlers<O, I> {
  public ConnectionHandler<O, I> onConnection;
  public MessageHandler<O, I> onMessage;
  public AsyncRequestHandler<O, I> onRequest;
  public CloseHandler<O, I> onClose;
  public ReconnectListener<O, I> onReconnect;

  public Handlers<O, I> copy() {
    Handlers<O, I> copy = new Handlers<>();
    copy.onConnection = onConnection;
    copy.onMessage = onMessage;
    copy.onRequest = onRequest;
    copy.onClose = onClose;
    copy.onReconnect = onReconnect;
    return copy;
  }

  /** Adapts a synchronous request handler. */
  public static <O, I> AsyncRequestHandler<O, I> async(RequestHandler<O, I> handler) {
    if (handler == null) {
      return null;
    }
    return (connection, request) ->
        CompletableFuture.completedFuture(handler.onRequest(connection, request));
  }
}
