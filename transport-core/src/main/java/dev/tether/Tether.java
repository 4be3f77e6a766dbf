package dev.tether;

import dev.tether.internal.engine.CodecRegistry;
import java.util.List;

/**
 * Where Tether starts: builders for servers and clients.
 *
 * <pre>{@code
 * MessageTypes types = MessageTypes.builder("tether-echo").register(1, "echo.Echo", Echo.class).build();
 * // in a method that throws InterruptedException (receive waits)
 * try (Server<Echo, Echo> server = Tether.<Echo, Echo>server(types)
 *         .onMessage((connection, echo) -> connection.send(echo))
 *         .bind(new InetSocketAddress("127.0.0.1", 0));
 *     Connection<Echo, Echo> client = Tether.<Echo, Echo>client(types).connect(server.address())) {
 *   client.send(new Echo("hello", 1));
 *   Echo back = client.receive(Duration.ofSeconds(5));
 * }
 * }</pre>
 */
public final class Tether {
  private Tether() {}

  /** Returns a builder for a server that carries the given message types. */
  public static <O, I> ServerBuilder<O, I> server(MessageTypes types) {
    return new ServerBuilder<>(types);
  }

  /** Returns a builder for client connections that carry the given message types. */
  public static <O, I> ClientBuilder<O, I> client(MessageTypes types) {
    return new ClientBuilder<>(types);
  }

  /** Returns the names of the codecs found on the class path, in alphabetical order. */
  public static List<String> availableCodecs() {
    return CodecRegistry.availableNames();
  }

  /**
   * Returns the names of the codecs found on the class path that can carry every message type of
   * {@code types}, in alphabetical order; these are the ones offered when none are configured.
   */
  public static List<String> availableCodecs(MessageTypes types) {
    return CodecRegistry.availableNames(types);
  }
}
