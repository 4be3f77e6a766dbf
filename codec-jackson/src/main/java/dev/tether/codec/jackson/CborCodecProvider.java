package dev.tether.codec.jackson;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecLimits;
import dev.tether.codec.CodecProvider;

/**
 * Provides the {@code cbor} codec: each message as one CBOR (RFC 8949) map of the same data model
 * as the {@code json} codec, so that a peer in any language can read it with its standard CBOR
 * library. It is smaller and faster to parse than JSON, and carries {@code byte[]} as a CBOR byte
 * string rather than base64. Integers use the shortest encoding; {@code double}s are always 8-byte
 * floats. A record or bean is written as a map of indefinite length (RFC 8949 §3.2.2), because
 * Jackson streams its fields without counting them first; lists, arrays and {@code Map}s have a
 * definite length. Both forms are read, so any conforming CBOR encoder can produce messages.
 *
 * <p>Field order, unknown and missing fields, {@code java.time}, what is refused on encode,
 * security and limits are as described for {@link JsonCodecProvider}: in short, no value in a field
 * declared as an interface or abstract type, only JSON's own types in fields declared {@code
 * Object}, no non-scalar map keys, no null {@code Optional}s, and no unpaired surrogates in strings
 * (the send fails). Numbers have no length limit, being binary. A declared length larger than what
 * the payload holds fails without allocating that length; more than four tags on one value, and
 * string references (tags 256 and 25), fail before the payload is parsed.
 *
 * <p>This class is thread safe. Every {@link #create} returns the same codec, whose mapper is built
 * on first use.
 */
public final class CborCodecProvider implements CodecProvider {
  /** The codec's wire name. */
  public static final String NAME = "cbor";

  /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
  public CborCodecProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Returns the {@code cbor} codec with {@link CodecLimits#defaults()}; it needs no registration,
   * so {@code types} is not used.
   */
  @Override
  public Codec create(MessageTypes types) {
    return Holder.CODEC;
  }

  /** Returns a {@code cbor} codec that applies {@code limits} on both ends. */
  @Override
  public Codec create(MessageTypes types, CodecLimits limits) {
    return limits.equals(CodecLimits.defaults())
        ? Holder.CODEC
        : new JacksonCodec(NAME, JacksonMappers.cbor(limits));
  }

  // Building a mapper takes milliseconds; ServiceLoader instantiates every provider it finds, so
  // the mapper is built only when the codec is first asked for.
  private static final class Holder {
    static final Codec CODEC = new JacksonCodec(NAME, JacksonMappers.cbor(CodecLimits.defaults()));
  }
}
