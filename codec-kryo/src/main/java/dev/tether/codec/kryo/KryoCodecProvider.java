package dev.tether.codec.kryo;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecLimits;
import dev.tether.codec.CodecProvider;

/**
 * Provides the {@code kryo} codec: Kryo 5's compact binary form of each message, for Java peers
 * only. It is the smallest and, with {@code fury}, the fastest of Tether's codecs, at the price of
 * a strict agreement between peers: both must build the same {@link MessageTypes}, nested classes
 * and their order included, from the same class definitions. The fingerprint checked in the
 * handshake covers the message names and ids, not the classes' fields; a field added on one side
 * only shows up as a decode failure.
 *
 * <p>Kryo registration ids are derived from the registry: Tether's fixed JDK classes first
 * (collections, immutable collections, {@code java.time}, {@code UUID}, {@code BigInteger}, {@code
 * BigDecimal}, arrays), then the message types in ascending id, then {@link
 * MessageTypes#nestedClasses()}, then the enums, records and arrays found in record components. The
 * module's README lists them.
 *
 * <p>Security: only registered classes are ever decoded ({@code registrationRequired}); a payload
 * that names a class by name is refused before the name is looked up; {@link CodecLimits} bound
 * nesting, elements per collection and elements sharing a hash code, on write as on read; every
 * length and count in the payload is checked against the bytes remaining, and all of them together
 * against the payload's size, before anything is allocated for it, so a decode allocates a small
 * multiple of its payload at most. Every failure is a {@link dev.tether.codec.CodecException}.
 *
 * <p>This class is thread safe. Each {@link #create} returns a new codec for the given registry;
 * Tether creates one per registry and shares it.
 */
public final class KryoCodecProvider implements CodecProvider {
  /** The codec's wire name. */
  public static final String NAME = "kryo";

  /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
  public KryoCodecProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Returns a {@code kryo} codec whose registrations are derived from {@code types}.
   *
   * @throws IllegalArgumentException if Kryo cannot register one of the classes
   */
  @Override
  public Codec create(MessageTypes types) {
    return create(types, CodecLimits.defaults());
  }

  /**
   * Returns a {@code kryo} codec whose registrations are derived from {@code types} and which
   * applies {@code limits} on both ends.
   *
   * @throws IllegalArgumentException if Kryo cannot register one of the classes, or could write one
   *     but not read it back (a nested collection or bean without a no-arg constructor)
   */
  @Override
  public Codec create(MessageTypes types, CodecLimits limits) {
    return new KryoCodec(KryoRegistrations.of(types, limits));
  }
}
