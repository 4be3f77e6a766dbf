package dev.tether.codec.jackson;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecProvider;

/**
 * Provides the {@code json} codec: each message as one UTF-8 JSON object whose fields are the
 * record components (or bean properties) in declaration order, so that a peer in any language can
 * read it with its standard JSON library. PROTOCOL.md §10's {@code record Echo(String text, long
 * seq)} is exactly {@code {"text":"hi","seq":1}}.
 *
 * <p>The data model, shared with {@link CborCodecProvider}:
 *
 * <ul>
 *   <li>Records are supported natively; {@code null} fields are written as {@code null}.
 *   <li>Fields the reader does not know are ignored, so a newer peer may add fields; fields that
 *       are missing take Java's default ({@code null}, {@code 0}, {@code false}). An explicit
 *       {@code null} for a primitive is an error.
 *   <li>{@code java.time} values are ISO-8601 strings ({@code "2024-05-01T12:00:00.5Z"}, {@code
 *       "PT1.5S"}), exact to the nanosecond; enums are their {@code name()}; {@code UUID}s are
 *       their canonical text.
 *   <li>{@code byte[]} is a base64 string in JSON and a byte string in CBOR.
 *   <li>{@code NaN} and the infinities, which JSON numbers cannot express, are written as the
 *       strings {@code "NaN"}, {@code "Infinity"} and {@code "-Infinity"} and read back as such.
 * </ul>
 *
 * <p>What the two codecs cannot carry, so that a message does not come back as it was sent (the
 * rest of the data model passes core's {@code CodecContract} and {@code HostileInputContract},
 * {@code Instant} and {@code UUID} included):
 *
 * <ul>
 *   <li>A field declared as an interface or abstract class, a sealed interface included (a {@code
 *       Shape shape} component): decoding fails, since nothing in the payload says which class to
 *       build, unless the user annotates the type with {@code @JsonTypeInfo(use = Id.NAME)} and
 *       {@code @JsonSubTypes}. A sealed hierarchy whose members are each registered as a message
 *       type is fine: the frame's type id names the class.
 *   <li>A field typed {@code Object} comes back as the JSON data model's own types: {@code 5L} as
 *       an {@code Integer}, an {@code int[]} as a {@code List}, a record as a {@code
 *       LinkedHashMap}.
 *   <li>A map key that is not a scalar (a record as key): decoding fails. Strings, numbers, enums
 *       and {@code UUID}s are fine.
 *   <li>{@code ZonedDateTime} and {@code OffsetDateTime} arrive as the same instant in UTC: the
 *       zone or offset is lost. {@code Instant}, {@code LocalDateTime} and {@code Duration} are
 *       exact.
 *   <li>A string or {@code char} with an unpaired surrogate, which is not Unicode text: {@code
 *       cbor} refuses to encode it (RFC 8949 text must be valid UTF-8), so the send fails with a
 *       {@link dev.tether.codec.CodecException}; {@code json} writes an escape such as <code>
 *       &#92;uD800</code> that Java reads back but other languages' parsers may reject.
 *   <li>Shared and cyclic references: an object referenced twice arrives as two equal copies; a
 *       cycle fails to encode at the depth limit.
 *   <li>Collections arrive as the default implementation of the declared type ({@code List} as
 *       {@code ArrayList}, {@code Set} as {@code HashSet}, {@code Map} as {@code LinkedHashMap}); a
 *       declared {@code TreeSet} or {@code EnumSet} is kept.
 *   <li>In {@code json}, a {@code BigDecimal} or {@code BigInteger} of more than 256 digits (the
 *       number limit below); {@code cbor} carries numbers in binary and has no such limit.
 * </ul>
 *
 * <p>Security: the codec decodes only the class the frame's type id names; polymorphic ("default")
 * typing is never enabled, so a payload cannot choose a class to instantiate. An abstract or
 * interface message type decodes only through the user's own Jackson annotations
 * ({@code @JsonTypeInfo(use = NAME)} with {@code @JsonSubTypes}). Reads are limited to 500 levels
 * of nesting, strings of 16 MiB characters, names of 50,000 characters and numbers of 256 digits; a
 * payload past any limit fails with a {@link dev.tether.codec.CodecException} naming it. A
 * connection configured for frames over 16 MiB still cannot carry a single string longer than that.
 *
 * <p>This class is thread safe. Every {@link #create} returns the same codec, whose mapper is built
 * on first use.
 */
public final class JsonCodecProvider implements CodecProvider {
  /** The codec's wire name. */
  public static final String NAME = "json";

  /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
  public JsonCodecProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  /** Returns the {@code json} codec; it needs no registration, so {@code types} is not used. */
  @Override
  public Codec create(MessageTypes types) {
    return Holder.CODEC;
  }

  // Building a mapper takes milliseconds; ServiceLoader instantiates every provider it finds, so
  // the mapper is built only when the codec is first asked for.
  private static final class Holder {
    static final Codec CODEC = new JacksonCodec(NAME, JacksonMappers.json());
  }
}
