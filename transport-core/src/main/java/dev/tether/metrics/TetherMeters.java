package dev.tether.metrics;

import dev.tether.Server;
import dev.tether.ServerMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.function.ToDoubleFunction;

/**
 * Publishes a {@link Server}'s counters to Micrometer: {@code tether.connections} (gauge), {@code
 * tether.connections.accepted}, {@code tether.handshakes.refused}, {@code tether.messages} and
 * {@code tether.bytes} (function counters, tagged {@code direction=sent|received}); every meter is
 * tagged {@code server=<address>}. Values are read from {@link Server#metrics()} when the registry
 * asks, so nothing is added to the message path.
 *
 * <pre>{@code
 * new TetherMeters(server).bindTo(registry);
 * }</pre>
 */
public final class TetherMeters implements MeterBinder {
  private final Server<?, ?> server;
  private final Tags tags;

  /** Creates a binder for {@code server}, tagged with its bound address. */
  public TetherMeters(Server<?, ?> server) {
    this(server, Tags.of(Tag.of("server", String.valueOf(server.address()))));
  }

  /** Creates a binder for {@code server} with the given tags. */
  public TetherMeters(Server<?, ?> server, Iterable<Tag> tags) {
    this.server = server;
    this.tags = Tags.of(tags);
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Gauge.builder("tether.connections", server, s -> s.metrics().openConnections())
        .description("connections that completed their handshake and are open")
        .tags(tags)
        .register(registry);
    counter(
        registry,
        "tether.connections.accepted",
        "sockets accepted",
        null,
        ServerMetrics::acceptedConnections);
    counter(
        registry,
        "tether.handshakes.refused",
        "connections closed before their handshake completed",
        null,
        ServerMetrics::refusedHandshakes);
    counter(
        registry,
        "tether.messages",
        "messages sent and received",
        "sent",
        ServerMetrics::messagesSent);
    counter(
        registry,
        "tether.messages",
        "messages sent and received",
        "received",
        ServerMetrics::messagesReceived);
    counter(
        registry,
        "tether.bytes",
        "bytes written to and read from sockets",
        "sent",
        ServerMetrics::bytesSent);
    counter(
        registry,
        "tether.bytes",
        "bytes written to and read from sockets",
        "received",
        ServerMetrics::bytesReceived);
  }

  private void counter(
      MeterRegistry registry,
      String name,
      String description,
      String direction,
      ToDoubleFunction<ServerMetrics> value) {
    Tags meterTags = direction == null ? tags : tags.and("direction", direction);
    FunctionCounter.builder(name, server, s -> value.applyAsDouble(s.metrics()))
        .description(description)
        .tags(meterTags)
        .register(registry);
  }
}
