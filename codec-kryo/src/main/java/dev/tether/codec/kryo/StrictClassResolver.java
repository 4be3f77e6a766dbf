package dev.tether.codec.kryo;

import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.util.DefaultClassResolver;

/**
 * Kryo's class resolver without its by-name form. Kryo can write a class as its name instead of a
 * registered id, and on read it loads a class of that name ({@code Class.forName}) before it checks
 * the registration. A payload from a Tether peer never names a class, because every class is
 * registered, so a name is refused before anything is looked up or loaded.
 *
 * <p>This class is not thread safe; each Kryo instance owns one.
 */
final class StrictClassResolver extends DefaultClassResolver {
  @Override
  protected Registration readName(Input input) {
    throw new KryoException(
        "the payload names a class instead of giving a registered class id; only registered"
            + " classes are accepted");
  }
}
