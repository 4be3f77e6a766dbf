package dev.tether.metrics;

import dev.tether.TetherRuntime;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.function.ToDoubleFunction;

/**
 * Publishes a {@link TetherRuntime}'s memory for large messages to Micrometer: {@code
 * tether.memory.large.used} and {@code tether.memory.large.limit} (gauges, bytes), tagged {@code
 * direction=received} ({@link TetherRuntime.Builder#largeMessageMemory}) and {@code direction=sent}
 * ({@link TetherRuntime.Builder#largeMessageSendMemory}). A used figure that stays at its limit
 * means connections wait for it: peers sending large messages wait to be read, or senders wait to
 * queue theirs. Read when the registry asks.
 *
 * <pre>{@code
 * new RuntimeMeters(TetherRuntime.shared()).bindTo(registry);
 * }</pre>
 */
public final class RuntimeMeters implements MeterBinder {
  private final TetherRuntime runtime;
  private final Tags tags;

  /** Creates a binder for {@code runtime}. */
  public RuntimeMeters(TetherRuntime runtime) {
    this(runtime, Tags.empty());
  }

  /** Creates a binder for {@code runtime} with the given tags (say, to tell runtimes apart). */
  public RuntimeMeters(TetherRuntime runtime, Iterable<Tag> tags) {
    this.runtime = runtime;
    this.tags = Tags.of(tags);
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    gauge(registry, "used", "received", TetherRuntime::largeMessageMemoryInUse);
    gauge(registry, "limit", "received", TetherRuntime::largeMessageMemory);
    gauge(registry, "used", "sent", TetherRuntime::largeMessageSendMemoryInUse);
    gauge(registry, "limit", "sent", TetherRuntime::largeMessageSendMemory);
  }

  private void gauge(
      MeterRegistry registry,
      String what,
      String direction,
      ToDoubleFunction<TetherRuntime> value) {
    Gauge.builder("tether.memory.large." + what, runtime, value)
        .description(
            what.equals("used")
                ? "bytes of large messages (over 64 KiB), and of small ones past each connection's"
                    + " allowance when sent, held now"
                : "bytes of large messages (over 64 KiB), and of small ones past each connection's"
                    + " allowance when sent, the runtime's connections may hold")
        .baseUnit("bytes")
        .tags(tags)
        .tag("direction", direction)
        .register(registry);
  }
}
