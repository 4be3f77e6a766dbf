package dev.tether.bench.support;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecProvider;
import java.util.ServiceLoader;

/** Finds Tether codecs by name, as the transport does. */
public final class Codecs {
  private Codecs() {}

  /** Creates the named codec for {@code types}. */
  public static Codec create(String name, MessageTypes types) {
    for (CodecProvider provider : ServiceLoader.load(CodecProvider.class)) {
      if (provider.name().equals(name) || provider.aliases().contains(name)) {
        return provider.create(types);
      }
    }
    throw new IllegalArgumentException("codec " + name + " is not on the class path");
  }
}
