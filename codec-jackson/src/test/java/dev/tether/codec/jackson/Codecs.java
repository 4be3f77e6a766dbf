package dev.tether.codec.jackson;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.EncodeBuffer;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.stream.Stream;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.cbor.CBORMapper;

/** Test helpers: the two codecs and byte-level shortcuts. */
final class Codecs {
  private static final MessageTypes TYPES =
      MessageTypes.builder("tether-test").register(1, "echo.Echo", Messages.Echo.class).build();

  static final Codec JSON = new JsonCodecProvider().create(TYPES);
  static final Codec CBOR = new CborCodecProvider().create(TYPES);

  private Codecs() {}

  /** The codecs every data-model test runs against. */
  static Stream<Codec> both() {
    return Stream.of(JSON, CBOR);
  }

  static byte[] encode(Codec codec, Object message) {
    EncodeBuffer out = new EncodeBuffer(16);
    codec.encode(message, out);
    return Arrays.copyOf(out.array(), out.position());
  }

  /**
   * Encodes {@code value} with a plain Jackson mapper of the codec's format, which writes what the
   * codec's own encoder would refuse: the payloads of a peer that is not Tether.
   */
  static byte[] encodePlain(Codec codec, Object value) {
    ObjectMapper mapper =
        codec.name().equals("cbor") ? CBORMapper.builder().build() : JsonMapper.builder().build();
    return mapper.writeValueAsBytes(value);
  }

  static <T> T decode(Codec codec, Class<T> type, byte[] bytes) {
    return codec.decode(type, ByteBuffer.wrap(bytes));
  }

  static byte[] hex(String hex) {
    String digits = hex.replaceAll("\\s+", "");
    byte[] bytes = new byte[digits.length() / 2];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) Integer.parseInt(digits.substring(2 * i, 2 * i + 2), 16);
    }
    return bytes;
  }

  static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    byte[] all = new byte[length];
    int offset = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, all, offset, part.length);
      offset += part.length;
    }
    return all;
  }
}
