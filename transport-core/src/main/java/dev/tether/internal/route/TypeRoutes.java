package dev.tether.internal.route;

import dev.tether.AsyncRequestHandler;
import dev.tether.Connection;
import dev.tether.MessageHandler;
import dev.tether.MessageTypes;
import dev.tether.TypedMessageHandler;
import dev.tether.TypedRequestHandler;
import dev.tether.internal.engine.Handlers;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The handlers a builder was given per message class, and how they combine with its general
 * handlers into the one message handler and one request handler a connection has.
 *
 * <p>A message is routed to the handler of its exact class or, failing that, of the first routed
 * supertype (a sealed interface, say) in the order they were added. What no route takes goes to the
 * general handler; without one, an unrouted message is a handler failure (the connection's {@link
 * dev.tether.HandlerFailurePolicy} applies) and an unrouted request is answered with {@link
 * dev.tether.RequestErrorCode#NO_HANDLER}. Routes are resolved once per registered class when the
 * handlers are built, so a message costs one hash lookup.
 *
 * <p>Not thread safe while routes are added; the handlers it builds are immutable.
 */
public final class TypeRoutes<O, I> {
  private final MessageTypes types;
  private final Map<Class<?>, TypedMessageHandler<O, I, Object>> messages = new LinkedHashMap<>();
  private final Map<Class<?>, TypedRequestHandler<O, I, Object>> requests = new LinkedHashMap<>();

  public TypeRoutes(MessageTypes types) {
    this.types = Objects.requireNonNull(types, "types");
  }

  /**
   * Routes messages of {@code type} to {@code handler}.
   *
   * @throws IllegalArgumentException if no registered message type is {@code type} or a subtype of
   *     it, or if {@code type} is routed already
   */
  @SuppressWarnings("unchecked")
  public void message(Class<?> type, TypedMessageHandler<O, I, ?> handler) {
    check(type, handler, messages, "onMessage");
    messages.put(type, (TypedMessageHandler<O, I, Object>) handler);
  }

  /**
   * Routes requests of {@code type} to {@code handler}.
   *
   * @throws IllegalArgumentException as {@link #message}
   */
  @SuppressWarnings("unchecked")
  public void request(Class<?> type, TypedRequestHandler<O, I, ?> handler) {
    check(type, handler, requests, "onRequest");
    requests.put(type, (TypedRequestHandler<O, I, Object>) handler);
  }

  private void check(Class<?> type, Object handler, Map<Class<?>, ?> routes, String method) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(handler, "handler");
    if (routes.containsKey(type)) {
      throw new IllegalArgumentException(
          method + "(" + type.getName() + ".class, ...) is routed already; route a type once");
    }
    boolean carried =
        types.entries().stream().anyMatch(entry -> type.isAssignableFrom(entry.type()));
    if (!carried) {
      throw new IllegalArgumentException(
          "cannot route "
              + type.getName()
              + ": it is not registered in "
              + types
              + ", nor a supertype of a registered type; register it first");
    }
  }

  /** Returns a copy that later additions to this one do not change. */
  public TypeRoutes<O, I> copy() {
    TypeRoutes<O, I> copy = new TypeRoutes<>(types);
    copy.messages.putAll(messages);
    copy.requests.putAll(requests);
    return copy;
  }

  /**
   * Replaces the message and request handlers of {@code handlers} with ones that route by class and
   * fall back to the handlers it held. Leaves a handler untouched where no type is routed, so a
   * connection without message routes or a message handler still delivers to {@code receive}.
   */
  public void applyTo(Handlers<O, I> handlers) {
    if (!messages.isEmpty()) {
      handlers.onMessage = new MessageRouter<>(resolve(messages), handlers.onMessage);
    }
    if (!requests.isEmpty()) {
      handlers.onRequest = new RequestRouter<>(resolve(requests), handlers.onRequest);
    }
  }

  /** Maps every registered class to its route: its own, or the first routed supertype. */
  private <H> Map<Class<?>, H> resolve(Map<Class<?>, H> routes) {
    Map<Class<?>, H> resolved = new HashMap<>();
    for (MessageTypes.Entry entry : types.entries()) {
      H exact = routes.get(entry.type());
      if (exact != null) {
        resolved.put(entry.type(), exact);
        continue;
      }
      for (Map.Entry<Class<?>, H> route : routes.entrySet()) {
        if (route.getKey().isAssignableFrom(entry.type())) {
          resolved.put(entry.type(), route.getValue());
          break;
        }
      }
    }
    return Map.copyOf(resolved);
  }

  private static String unrouted(Class<?> type, String method) {
    return "no handler for "
        + type.getName()
        + ": route it with "
        + method
        + "("
        + type.getSimpleName()
        + ".class, ...) or add a general "
        + method
        + " handler";
  }

  /** Delivers each message to the handler of its class, or to the general handler. */
  private static final class MessageRouter<O, I> implements MessageHandler<O, I> {
    private final Map<Class<?>, TypedMessageHandler<O, I, Object>> routes;
    private final MessageHandler<O, I> fallback;

    MessageRouter(
        Map<Class<?>, TypedMessageHandler<O, I, Object>> routes, MessageHandler<O, I> fallback) {
      this.routes = routes;
      this.fallback = fallback;
    }

    @Override
    public void onMessage(Connection<O, I> connection, I message) throws Exception {
      TypedMessageHandler<O, I, Object> route = routes.get(message.getClass());
      if (route != null) {
        route.onMessage(connection, message);
      } else if (fallback != null) {
        fallback.onMessage(connection, message);
      } else {
        throw new IllegalStateException(unrouted(message.getClass(), "onMessage"));
      }
    }
  }

  /** Answers each request with the handler of its class, or the general handler. */
  private static final class RequestRouter<O, I> implements AsyncRequestHandler<O, I> {
    private final Map<Class<?>, TypedRequestHandler<O, I, Object>> routes;
    private final AsyncRequestHandler<O, I> fallback;

    RequestRouter(
        Map<Class<?>, TypedRequestHandler<O, I, Object>> routes,
        AsyncRequestHandler<O, I> fallback) {
      this.routes = routes;
      this.fallback = fallback;
    }

    @Override
    public CompletionStage<? extends O> onRequest(Connection<O, I> connection, I request)
        throws Exception {
      TypedRequestHandler<O, I, Object> route = routes.get(request.getClass());
      if (route != null) {
        return CompletableFuture.completedFuture(route.onRequest(connection, request));
      }
      if (fallback != null) {
        return fallback.onRequest(connection, request);
      }
      throw new Handlers.NoHandlerException(unrouted(request.getClass(), "onRequest"));
    }
  }
}
