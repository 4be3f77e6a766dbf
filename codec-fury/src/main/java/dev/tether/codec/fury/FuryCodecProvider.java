package dev.tether.codec.fury;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecLimits;
import dev.tether.codec.CodecProvider;
import java.util.List;

/**
 * Provides the {@code fury} codec (also configurable as {@code fory}): Apache Fory's Java-native
 * binary form of each message, for Java peers only. With {@code kryo} it is the fastest of Tether's
 * codecs; it is built on {@code org.apache.fory:fory-core}, the maintained successor of the {@code
 * fury-core} artifacts, which have unfixed deserialization vulnerabilities.
 *
 * <p>Both peers must build the same {@link MessageTypes}, nested classes and their order included,
 * from the same class definitions. Fory registration ids are derived from the registry: each
 * message type under its own type id, then {@link MessageTypes#nestedClasses()} under the ids that
 * follow the largest one, then the records and enums found in record components, as the {@code
 * kryo} codec finds them. Every class used inside a message must be one of those or one of the JDK
 * types Fory knows (strings, boxed primitives, arrays, {@code java.util} collections including
 * {@code List.of}, {@code Set.of} and {@code Map.of}, {@code java.time}, {@code UUID}, {@code
 * BigInteger}, {@code BigDecimal}); a bean's classes must be listed in {@code nested(...)}. Each
 * struct carries a hash of its fields, so a peer whose record differs fails to decode with a
 * message saying so, rather than misreading.
 *
 * <p>Settings, each made explicitly (see the module README for the measurements): Java mode,
 * schema-consistent (no field names or type definitions on the wire), class version check on, class
 * registration required, no reference tracking, depth limit from {@link CodecLimits}, generated
 * serializers compiled when the codec is created, ints as varints and longs tagged, strings
 * uncompressed, enums by ordinal.
 *
 * <p>Security: only registered classes are ever decoded; a payload naming any other class fails
 * before an instance is made. {@link CodecLimits} bound nesting, elements per collection and
 * elements sharing a hash code, on write as on read; every declared length of a string, array or
 * collection is checked against the bytes remaining, and all of a payload's together against its
 * size, before anything is allocated. Every string in a decoded message must be one this JVM could
 * have made of its characters: Fory would otherwise build strings that do not equal their own text.
 * So both peers must run with the same {@code -XX:CompactStrings} setting (the default, on, unless
 * a user turns it off). Every failure is a {@link dev.tether.codec.CodecException}.
 *
 * <p>This class is thread safe. Each {@link #create} returns a new codec for the given registry,
 * which takes tens of milliseconds to build (the first in a JVM, a few hundred); Tether creates one
 * per registry and shares it.
 */
public final class FuryCodecProvider implements CodecProvider {
  /** The codec's wire name. */
  public static final String NAME = "fury";

  /** The other name a user may configure: the library's name since its rename to Apache Fory. */
  public static final String ALIAS = "fory";

  /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
  public FuryCodecProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  /** Returns {@code [fory]}. */
  @Override
  public List<String> aliases() {
    return List.of(ALIAS);
  }

  /**
   * Returns a {@code fury} codec whose registrations are derived from {@code types}.
   *
   * @throws IllegalArgumentException if Fory cannot register or serialize one of the classes, or a
   *     class is both a message type and a nested class
   */
  @Override
  public Codec create(MessageTypes types) {
    return create(types, CodecLimits.defaults());
  }

  /**
   * Returns a {@code fury} codec whose registrations are derived from {@code types} and which
   * applies {@code limits} on both ends.
   *
   * @throws IllegalArgumentException as {@link #create(MessageTypes)}
   */
  @Override
  public Codec create(MessageTypes types, CodecLimits limits) {
    return new FuryCodec(FuryRegistrations.of(types, limits));
  }
}
