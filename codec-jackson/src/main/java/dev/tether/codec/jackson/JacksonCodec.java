package dev.tether.codec.jackson;

import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.EncodeBuffer;
import java.nio.ByteBuffer;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.ObjectWriter;

/**
 * The {@code json} and {@code cbor} codecs: one implementation over a Jackson mapper built by
 * {@link JacksonMappers}. Encodes the message's runtime class and decodes exactly the class the
 * frame's type id names; Jackson never picks a class from the payload. What the decoder would
 * refuse or read back differently, the encoder refuses ({@link EncodeChecks}, {@link
 * LimitedGenerator}).
 *
 * <p>Every failure, whatever Jackson or the message's own constructor throws, reaches the caller as
 * a {@link CodecException} whose message names the codec, the class and the cause.
 *
 * <p>This class is thread safe: mappers, readers and writers are immutable once built.
 */
final class JacksonCodec implements Codec {
  private final String name;
  private final boolean cbor;

  // ObjectMapper.readerFor/writerFor build a new reader or writer each call and look the root
  // (de)serializer up again; caching one per class saves that on every message.
  private final ClassValue<ObjectReader> readers;
  private final ClassValue<ObjectWriter> writers;

  JacksonCodec(String name, ObjectMapper mapper) {
    this.name = name;
    this.cbor = mapper.tokenStreamFactory().getFormatName().equalsIgnoreCase("cbor");
    this.readers =
        new ClassValue<>() {
          @Override
          protected ObjectReader computeValue(Class<?> type) {
            return mapper.readerFor(type);
          }
        };
    this.writers =
        new ClassValue<>() {
          @Override
          protected ObjectWriter computeValue(Class<?> type) {
            return mapper.writerFor(type);
          }
        };
  }

  @Override
  public String name() {
    return name;
  }

  /**
   * {@inheritDoc}
   *
   * <p>On failure the buffer is left as it was before the call: nothing partial stays in it.
   */
  @Override
  public void encode(Object message, EncodeBuffer out) {
    if (message == null) {
      throw new CodecException(name + " codec cannot encode null: a message must be an object");
    }
    int start = out.position();
    try {
      writers.get(message.getClass()).writeValue(out, message);
    } catch (RuntimeException e) {
      out.position(start);
      throw new CodecException(
          name + " codec cannot encode " + message.getClass().getName() + ": " + e.getMessage(), e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>A heap buffer is parsed in place. A direct or read-only one is copied to an array first:
   * Jackson's CBOR parser, fed from a stream, reads chunked strings wrongly where a chunk meets the
   * end of its 8,000-byte input buffer (spurious characters, or "Invalid UTF-8 start byte 0xff" on
   * valid input), and an array is the one input every Jackson parser reads without refilling. The
   * copy costs one allocation of the payload's size. The buffer's position and limit are not
   * changed. A CBOR payload's headers are walked first ({@link CborPrescan}). A payload that is the
   * literal {@code null} is refused, so a decoded message is never null.
   */
  @Override
  public <T> T decode(Class<T> type, ByteBuffer payload) {
    int length = payload.remaining();
    byte[] array;
    int offset;
    if (payload.hasArray()) {
      array = payload.array();
      offset = payload.arrayOffset() + payload.position();
    } else {
      array = new byte[length];
      payload.get(payload.position(), array, 0, length);
      offset = 0;
    }
    if (cbor) {
      String refusal = CborPrescan.refusal(array, offset, length);
      if (refusal != null) {
        throw failure(type, length, refusal, null);
      }
    }
    T message;
    try {
      message = readers.get(type).readValue(array, offset, length);
    } catch (RuntimeException e) {
      // JacksonException for malformed or mismatched input and exceeded limits; anything else
      // (an exception from a record's compact constructor, say) is wrapped the same way.
      throw failure(type, length, e.getMessage(), e);
    } catch (StackOverflowError e) {
      // Not expected within maxDepth on any sane stack, but never let it escape as an Error.
      throw failure(type, length, "StackOverflowError: the payload nests too deeply", null);
    }
    if (message == null) {
      throw failure(type, length, "the payload is null", null);
    }
    return message;
  }

  private CodecException failure(Class<?> type, int length, String reason, Throwable cause) {
    String message =
        name + " codec cannot decode " + length + " bytes as " + type.getName() + ": " + reason;
    return cause == null ? new CodecException(message) : new CodecException(message, cause);
  }

  @Override
  public String toString() {
    return "JacksonCodec[" + name + "]";
  }
}
