package dev.tether.codec.jackson;

import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.core.sym.ByteQuadsCanonicalizer;

/**
 * The table of property names that a factory's parsers share, replaced by an empty one once the
 * payloads that added names to it reach {@link #MAX_LEARNING_BYTES} in all ({@link
 * BoundedNamesJsonFactory}, {@link BoundedNamesCborFactory}).
 *
 * <p>Jackson keeps one such table per factory. A parser that meets a name the table lacks first
 * copies the whole table (copy on write), and on close hands its larger copy back as the shared
 * one; the table only grows (up to 6,000 names, however long each), and a peer's payloads fill it
 * as well as the application's: names of unknown properties, which the codec ignores, and map keys.
 * After a peer had sent 50 messages with 100 names of 1,000 characters each, every 36-byte message
 * with one name the table lacked allocated 5.3 MB and took 0.5–0.8 ms on the event loop, in JSON
 * and in CBOR alike (measured on the bench machine), and the table is the codec's, so every
 * connection paid it. Replaced once {@link #MAX_LEARNING_BYTES} of payloads have added to it, the
 * table holds at most about that many bytes of names, and such a copy stays within a few times
 * that. An application's own names are learned again after a replacement, from the next messages,
 * and then stay: a payload that adds no name costs nothing here.
 *
 * <p>Thread safe.
 */
final class BoundedNames {
  /** Bytes of payloads that added names to the table, after which it is replaced. */
  static final long MAX_LEARNING_BYTES = 16 * 1024;

  private volatile ByteQuadsCanonicalizer root = ByteQuadsCanonicalizer.createRoot();
  private final AtomicLong learningBytes = new AtomicLong();

  /** Returns a parser's view of the table, made as Jackson's own factories make it. */
  ByteQuadsCanonicalizer forParser(int factoryFeatures) {
    return root.makeChildOrPlaceholder(factoryFeatures);
  }

  /**
   * Called by a parser as it closes, before it hands {@code view} back: counts the payload if the
   * parser added names, and replaces the table once the count passes the bound (the parser then
   * hands its names to the old table, which nothing uses any more).
   */
  void closing(ByteQuadsCanonicalizer view, int payloadBytes) {
    if (view.maybeDirty() && learningBytes.addAndGet(payloadBytes) > MAX_LEARNING_BYTES) {
      learningBytes.set(0);
      root = ByteQuadsCanonicalizer.createRoot();
    }
  }
}
