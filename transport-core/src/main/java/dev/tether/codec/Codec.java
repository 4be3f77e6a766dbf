package dev.tether.codec;

import java.nio.ByteBuffer;

/**
 * Turns one message of a registered class into bytes and back. The class is already named by the
 * type id in the frame, so a codec writes no type header of its own at the top level.
 *
 * <p>Implementations must be thread safe: {@link #encode} is called on every thread that sends, and
 * {@link #decode} on any thread that receives (event loops, handler threads), concurrently. A
 * decode should cost little more than its payload's size in time and memory, whatever the payload
 * holds: small payloads are decoded on the event loop, where one slow decode stalls every
 * connection.
 */
public interface Codec {
  /** Returns the name negotiated in the handshake, such as {@code json}. */
  String name();

  /**
   * Appends the encoding of {@code message} to {@code out}.
   *
   * @throws CodecException if the message cannot be encoded
   */
  void encode(Object message, EncodeBuffer out);

  /**
   * Decodes one message of {@code type} from the bytes between {@code payload}'s position and
   * limit. The buffer is only valid during the call and may be direct or heap; the codec must not
   * keep it.
   *
   * @return the message, an instance of {@code type}; a null or an object of another class is
   *     refused as a payload this codec cannot read, as a {@link CodecException} would be
   * @throws CodecException if the bytes are not a valid encoding of {@code type}, whatever the
   *     reason; never another exception type
   */
  <T> T decode(Class<T> type, ByteBuffer payload);
}
