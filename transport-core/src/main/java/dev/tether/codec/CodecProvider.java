package dev.tether.codec;

import dev.tether.MessageTypes;
import java.util.List;

/**
 * Creates codecs of one kind; found through {@link java.util.ServiceLoader}. A provider is listed
 * in {@code META-INF/services/dev.tether.codec.CodecProvider} of its module.
 */
public interface CodecProvider {
  /** Returns the codec's wire name, such as {@code json}: lower case, 1 to 255 bytes of ASCII. */
  String name();

  /**
   * Returns other names a user may configure for this codec; the wire always carries {@link
   * #name()}.
   */
  default List<String> aliases() {
    return List.of();
  }

  /**
   * Returns whether this codec can carry every message type of {@code types}. A codec that cannot
   * is left out when no codecs are configured, and refused with a clear error when one is. The
   * default is true; the pass-through {@code bytes} codec carries only {@code byte[]}.
   */
  default boolean supports(MessageTypes types) {
    return true;
  }

  /**
   * Creates a codec for the given message types. The codec may derive class registrations from
   * {@code types} (messages in ascending id, then {@link MessageTypes#nestedClasses()}), so both
   * sides agree by construction. Called once per registry and codec; the result is shared. The
   * codec applies {@link CodecLimits#defaults()}.
   */
  Codec create(MessageTypes types);

  /**
   * Creates a codec for the given message types that applies {@code limits} on both ends: it
   * refuses to encode a message past them, and to decode a payload past them. Both peers must use
   * the same limits. The default ignores {@code limits} and returns {@link #create(MessageTypes)},
   * for providers written before limits existed; Tether's own codecs honour them.
   */
  default Codec create(MessageTypes types, CodecLimits limits) {
    return create(types);
  }
}
