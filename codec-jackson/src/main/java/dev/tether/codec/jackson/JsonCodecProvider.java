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
 * <p>Security: the codec decodes only the class the frame's type id names; polymorphic ("default")
 * typing is never enabled, so a payload cannot choose a class to instantiate. An abstract or
 * interface message type decodes only through the user's own Jackson annotations
 * ({@code @JsonTypeInfo(use = NAME)} with {@code @JsonSubTypes}). Reads are limited to 500 levels
 * of nesting, strings of 16 MiB characters, names of 50,000 characters and numbers of 256 digits;
 * a payload past any limit fails with a {@link dev.tether.codec.CodecException} naming it. A
 * connection configured for frames over 16 MiB still cannot carry a single string longer than
 * that.
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
