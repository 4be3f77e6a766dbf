package dev.tether.codec.kryo;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import dev.tether.codec.CodecLimits;

/**
 * Writes and reads a map's keys, counting how many keys enclose the one at hand, so that a message
 * whose keys nest deeper than {@link CodecLimits#maxKeyNesting()} is refused on both ends: by the
 * encoder before the receiver sees it, and by the decoder before the key is built, let alone
 * compared with another. Every map serializer of the codec reads and writes its keys here.
 *
 * <p>The count lives in the session's {@link EncodeBufferOutput} and {@link DecodeBudget}, which
 * start it at zero for each message; an input or output of another kind (Kryo used directly) is not
 * counted.
 */
final class MapKeys {
  private MapKeys() {}

  /** How many keys enclose the one being written or read. Not thread safe: one per session. */
  static final class Nesting {
    private final CodecLimits limits;
    private int level;

    Nesting(CodecLimits limits) {
      this.limits = limits;
    }

    void reset() {
      level = 0;
    }

    private void enter(String what) {
      String refusal = limits.keyNestedTooDeep(++level, what);
      if (refusal != null) {
        throw new KryoException(refusal);
      }
    }

    private void exit() {
      level--;
    }
  }

  /** An input or output that counts key nesting. */
  interface Holder {
    Nesting keyNesting();
  }

  /** Writes {@code key} of a map of kind {@code what} with its class. */
  static void write(Kryo kryo, Output output, Object key, String what) {
    if (output instanceof Holder holder) {
      Nesting nesting = holder.keyNesting();
      nesting.enter(what);
      kryo.writeClassAndObject(output, key);
      nesting.exit();
    } else {
      kryo.writeClassAndObject(output, key);
    }
  }

  /** Reads a key of a map of kind {@code what}, written by {@link #write}. */
  static Object read(Kryo kryo, Input input, String what) {
    if (input instanceof Holder holder) {
      Nesting nesting = holder.keyNesting();
      nesting.enter(what);
      Object key = kryo.readClassAndObject(input);
      nesting.exit();
      return key;
    }
    return kryo.readClassAndObject(input);
  }
}
