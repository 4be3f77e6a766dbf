package dev.tether.testing;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecProvider;

/**
 * Codec {@code broken}: found on the class path, but cannot start, as a codec whose library is
 * missing or fails on this JDK. Servers must leave it out, and say so, rather than hang on it.
 */
public final class BrokenCodecProvider implements CodecProvider {
  @Override
  public String name() {
    return "broken";
  }

  @Override
  public Codec create(MessageTypes types) {
    throw new NoClassDefFoundError("org/example/MissingSerializer");
  }
}
