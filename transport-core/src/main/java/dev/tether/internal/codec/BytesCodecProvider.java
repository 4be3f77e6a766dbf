package dev.tether.internal.codec;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecProvider;
import dev.tether.codec.EncodeBuffer;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The {@code bytes} codec: a pass-through for messages that are already {@code byte[]}, for users
 * who serialise with something else (protobuf, say) and for measuring the transport alone. Register
 * {@code byte[].class} in {@link MessageTypes}; the payload is the array's bytes, unchanged.
 */
public final class BytesCodecProvider implements CodecProvider {
  static final String NAME = "bytes";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean supports(MessageTypes types) {
    return types.entries().stream().allMatch(e -> e.type() == byte[].class);
  }

  @Override
  public Codec create(MessageTypes types) {
    return new BytesCodec();
  }

  private static final class BytesCodec implements Codec {
    @Override
    public String name() {
      return NAME;
    }

    @Override
    public void encode(Object message, EncodeBuffer out) {
      if (!(message instanceof byte[] bytes)) {
        throw new CodecException(
            "codec bytes carries only byte[] messages, not " + message.getClass().getName());
      }
      out.write(bytes, 0, bytes.length);
    }

    @Override
    public <T> T decode(Class<T> type, ByteBuffer payload) {
      if (type != byte[].class) {
        throw new CodecException("codec bytes decodes only byte[], not " + type.getName());
      }
      if (payload.hasArray()) { // a copy that skips zeroing the new array first
        int from = payload.arrayOffset() + payload.position();
        byte[] bytes = Arrays.copyOfRange(payload.array(), from, from + payload.remaining());
        payload.position(payload.limit());
        return type.cast(bytes);
      }
      byte[] bytes = new byte[payload.remaining()];
      payload.get(bytes);
      return type.cast(bytes);
    }
  }
}
