package dev.tether.codec.jackson;

import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamWriteConstraints;
import tools.jackson.core.StreamWriteFeature;
import tools.jackson.core.TSFBuilder;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.cfg.MapperBuilder;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.cbor.CBORFactory;
import tools.jackson.dataformat.cbor.CBORMapper;

/**
 * Builds the two mappers behind the {@code json} and {@code cbor} codecs, configured identically so
 * that both carry the same data model. Every setting that matters to safety or to the wire is set
 * here explicitly, even where it equals Jackson 3's default, so that a change of default in a later
 * Jackson release cannot change the wire format or open a hole.
 */
final class JacksonMappers {
  /**
   * Deepest nesting of arrays and objects accepted on read and produced on write. Each level costs
   * a handful of stack frames in databind; 500 stays far inside a small thread stack, so a hostile
   * {@code [[[[…} fails with a clear error instead of a {@link StackOverflowError}. Writing is held
   * to the same depth so that we never encode what a peer would refuse, and so that a cyclic object
   * graph fails fast.
   */
  static final int MAX_NESTING_DEPTH = 500;

  /**
   * Longest string value, in characters. A default peer cannot send a longer one (frames are at
   * most 16 MiB by default), and the limit stops a declared CBOR text length from reserving memory
   * the payload does not hold.
   */
  static final int MAX_STRING_LENGTH = 16 * 1024 * 1024;

  /**
   * Longest property name or map key, in characters. Names are usually short, but map keys are
   * names too, so this stays at Jackson's own default rather than something tighter.
   */
  static final int MAX_NAME_LENGTH = 50_000;

  /**
   * Longest number literal, in characters. A {@code long} needs 20, a {@code double} about 25;
   * parsing a {@code BigInteger} or {@code BigDecimal} is superlinear in its length, so 256 keeps
   * every real value and makes a 1 MB "number" fail at once.
   */
  static final int MAX_NUMBER_LENGTH = 256;

  private static final StreamReadConstraints READ_CONSTRAINTS =
      StreamReadConstraints.builder()
          .maxNestingDepth(MAX_NESTING_DEPTH)
          .maxStringLength(MAX_STRING_LENGTH)
          .maxNameLength(MAX_NAME_LENGTH)
          .maxNumberLength(MAX_NUMBER_LENGTH)
          .build();

  private static final StreamWriteConstraints WRITE_CONSTRAINTS =
      StreamWriteConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build();

  private JacksonMappers() {}

  /** Returns a new mapper for UTF-8 JSON. */
  static JsonMapper json() {
    return configure(JsonMapper.builder(limit(JsonFactory.builder())));
  }

  /** Returns a new mapper for CBOR (RFC 8949). */
  static CBORMapper cbor() {
    return configure(CBORMapper.builder(limit(CBORFactory.builder())));
  }

  private static <F extends TokenStreamFactory, B extends TSFBuilder<F, B>> F limit(B factory) {
    return factory
        .streamReadConstraints(READ_CONSTRAINTS)
        .streamWriteConstraints(WRITE_CONSTRAINTS)
        // The EncodeBuffer belongs to Tether, which reuses it; closing it is not ours to do.
        .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
        .build();
  }

  // Never call activateDefaultTyping here: the class of every message is named by the frame's type
  // id, and polymorphic typing driven by the payload is how Jackson gadget attacks get in.
  private static <M extends ObjectMapper, B extends MapperBuilder<M, B>> M configure(B mapper) {
    return mapper
        // Record components and bean properties in declaration order, so Echo is
        // {"text":"hi","seq":1} as PROTOCOL.md §10 expects (Jackson 3 sorts alphabetically).
        .disable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
        // Forward compatibility: a newer peer may add fields; an older reader ignores them.
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        // An explicit null for a primitive is a type error, not zero.
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        // A payload is exactly one value; anything after it is corruption.
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        // A record without components, such as record Ping(), is a valid message: {}.
        .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
        // java.time as ISO-8601 text ("2024-05-01T12:00:00.123456789Z", "PT1.5S"): unambiguous
        // for every language, and exact to the nanosecond.
        .disable(DateTimeFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(DateTimeFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
        .build();
  }
}
