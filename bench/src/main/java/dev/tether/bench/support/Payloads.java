package dev.tether.bench.support;

import dev.tether.MessageTypes;

/** The transport benchmarks' message for a codec and a body size. */
public final class Payloads {
  private Payloads() {}

  /** Returns the registry to use with {@code codec}. */
  public static MessageTypes types(String codec) {
    return codec.equals("bytes") ? BenchMessages.RAW_TYPES : BenchMessages.TYPES;
  }

  /**
   * Returns a message whose encoding is about {@code size} bytes: a plain array for {@code bytes},
   * otherwise a {@link BenchMessages.Payload} whose body leaves room for the codec's framing.
   */
  public static Object message(String codec, int size) {
    if (codec.equals("bytes")) {
      return new byte[size];
    }
    return new BenchMessages.Payload(1L, new byte[Math.max(1, size - 16)]);
  }

  /** Returns the class that {@link #message} returns, for decoding. */
  public static Class<?> type(String codec) {
    return codec.equals("bytes") ? byte[].class : BenchMessages.Payload.class;
  }
}
