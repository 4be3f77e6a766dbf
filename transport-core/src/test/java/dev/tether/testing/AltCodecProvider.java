package dev.tether.testing;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecProvider;
import dev.tether.codec.EncodeBuffer;
import java.nio.ByteBuffer;

/**
 * Codec {@code test-alt}: {@code test}'s encoding behind a marker byte, so that a peer may choose
 * another codec for the same types, and a payload made by the one cannot pass for the other (each
 * refuses the other's with a {@link CodecException}). Not for production use.
 */
public final class AltCodecProvider implements CodecProvider {
  private static final byte MARKER = (byte) 0xA7;

  @Override
  public String name() {
    return "test-alt";
  }

  @Override
  public Codec create(MessageTypes types) {
    Codec test = new TestCodecProvider().create(types);
    return new Codec() {
      @Override
      public String name() {
        return "test-alt";
      }

      @Override
      public void encode(Object message, EncodeBuffer out) {
        out.write(MARKER);
        test.encode(message, out);
      }

      @Override
      public <T> T decode(Class<T> type, ByteBuffer in) {
        if (!in.hasRemaining() || in.get() != MARKER) {
          throw new CodecException("codec test-alt: the payload was not made by test-alt");
        }
        return test.decode(type, in);
      }
    };
  }
}
