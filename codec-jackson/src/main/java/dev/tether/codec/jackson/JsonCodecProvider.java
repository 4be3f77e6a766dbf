package dev.tether.codec.jackson;

import dev.tether.MessageTypes;
import dev.tether.codec.Codec;
import dev.tether.codec.CodecLimits;
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
 *       "PT1.5S"}), exact to the nanosecond, read back only from strings; a {@code ZonedDateTime}
 *       keeps its zone ({@code "2024-10-27T02:30:00+01:00[Europe/Paris]"}) and an {@code
 *       OffsetDateTime} its offset. Enums are their {@code name()}; {@code UUID}s are their
 *       canonical text.
 *   <li>{@code byte[]} is a base64 string in JSON and a byte string in CBOR.
 *   <li>{@code NaN} and the infinities, which JSON numbers cannot express, are written as the
 *       strings {@code "NaN"}, {@code "Infinity"} and {@code "-Infinity"} and read back as such.
 *   <li>Collections arrive as the default implementation of the declared type ({@code List} as
 *       {@code ArrayList}, {@code Set} as {@code HashSet}, {@code Map} as {@code LinkedHashMap}),
 *       equal to what was sent; a declared {@code TreeSet} or {@code EnumSet} is kept.
 * </ul>
 *
 * <p>A message either comes back equal or fails to encode, on the sender's thread, with a {@link
 * dev.tether.codec.CodecException} that says why; never a different value, and never a payload the
 * receiver refuses. Refused, because the payload could not say what to build:
 *
 * <ul>
 *   <li>A non-null value in a field or element declared as an interface or abstract class, a sealed
 *       interface included, unless the type is annotated with {@code @JsonTypeInfo} and
 *       {@code @JsonSubTypes}. A sealed hierarchy whose members are each registered as a message
 *       type is fine: the frame's type id names the class.
 *   <li>In a field or element declared {@code Object}, anything but a String, Boolean, Integer,
 *       finite Double, or a List or String-keyed Map of those: {@code 5L} would come back as an
 *       {@code Integer}, a record as a {@code LinkedHashMap}.
 *   <li>A map key other than a string, number, boolean, character, enum or {@code UUID} declared as
 *       its own class (a record as key).
 *   <li>A null {@code Optional} field, which would come back as {@code Optional.empty()}.
 *   <li>In {@code cbor}, a string or {@code char} with an unpaired surrogate (RFC 8949 text must be
 *       valid UTF-8); {@code json} writes an escape such as <code>&#92;uD800</code> that Java reads
 *       back but other languages' parsers may reject.
 *   <li>In {@code json}, a number of more than 256 digits, and a {@code BigDecimal} whose exponent
 *       a reader cannot hold ({@code 1E+2147483648}); {@code cbor} carries numbers in binary.
 *   <li>Anything past {@link dev.tether.codec.CodecLimits}: more nesting than {@code maxDepth}
 *       (each JSON object or array is a level), more elements than {@code maxElements} in a
 *       collection, map or array, more than {@code maxSameHashElements} elements of a {@code Set}
 *       sharing a hash code.
 * </ul>
 *
 * <p>Shared and cyclic references: an object referenced twice arrives as two equal copies; a cycle
 * fails to encode at the depth limit.
 *
 * <p>Security: the codec decodes only the class the frame's type id names; polymorphic ("default")
 * typing is never enabled, so a payload cannot choose a class to instantiate. Reads are limited as
 * writes are, plus strings of 16 MiB characters, names of 50,000 characters and JSON numbers of 256
 * digits; a payload past any limit fails with a {@link dev.tether.codec.CodecException} naming it.
 * A {@code java.time} value is read only from a string, never guessed from a number; a fraction is
 * never truncated into an integer; a set of records is checked for shared hash codes before any is
 * hashed; CBOR payloads with more than four tags on one value or with string references are refused
 * before they are parsed. The module README has the measured cost of hostile payloads.
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

  /**
   * Returns the {@code json} codec with {@link CodecLimits#defaults()}; it needs no registration,
   * so {@code types} is not used.
   */
  @Override
  public Codec create(MessageTypes types) {
    return Holder.CODEC;
  }

  /** Returns a {@code json} codec that applies {@code limits} on both ends. */
  @Override
  public Codec create(MessageTypes types, CodecLimits limits) {
    return limits.equals(CodecLimits.defaults())
        ? Holder.CODEC
        : new JacksonCodec(NAME, JacksonMappers.json(limits));
  }

  // Building a mapper takes milliseconds; ServiceLoader instantiates every provider it finds, so
  // the mapper is built only when the codec is first asked for.
  private static final class Holder {
    static final Codec CODEC = new JacksonCodec(NAME, JacksonMappers.json(CodecLimits.defaults()));
  }
}
