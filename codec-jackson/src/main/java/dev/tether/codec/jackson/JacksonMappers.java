package dev.tether.codec.jackson;

import dev.tether.codec.CodecLimits;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamWriteConstraints;
import tools.jackson.core.StreamWriteFeature;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.core.base.DecorableTSFactory.DecorableTSFBuilder;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.JsonRecyclerPools;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.cfg.MapperBuilder;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.module.SimpleModule;
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
   * Most digits of a JSON number, those of its exponent included. A {@code long} needs 19, a {@code
   * double} about 20; parsing a {@code BigInteger} or {@code BigDecimal} is superlinear in its
   * length, so 256 keeps every real value and makes a 1 MB "number" fail at once. CBOR carries big
   * numbers in binary, parsed in linear time, and has no such limit.
   */
  static final int MAX_NUMBER_LENGTH = 256;

  private JacksonMappers() {}

  /** Returns a new mapper for UTF-8 JSON that applies {@code limits} on both ends. */
  static JsonMapper json(CodecLimits limits) {
    // PROTOCOL.md: a json payload is UTF-8. Jackson would also detect and read UTF-16 and UTF-32,
    // whose parsers keep a name table of their own (see BoundedNames); a UTF-8 byte order mark is
    // still skipped, as RFC 8259 allows.
    JsonFactory factory =
        new BoundedNamesJsonFactory(
            limit(
                JsonFactory.builder().disable(TokenStreamFactory.Feature.CHARSET_DETECTION),
                limits,
                true));
    return configure(JsonMapper.builder(factory), limits);
  }

  /** Returns a new mapper for CBOR (RFC 8949) that applies {@code limits} on both ends. */
  static CBORMapper cbor(CodecLimits limits) {
    CBORFactory factory = new BoundedNamesCborFactory(limit(CBORFactory.builder(), limits, false));
    return configure(CBORMapper.builder(factory), limits);
  }

  /**
   * The read constraints, and the same on write: nesting depth through {@code
   * StreamWriteConstraints}, string, name and number lengths through {@link LimitedGenerator}. A
   * level of nesting costs a handful of stack frames in databind, so {@code maxDepth} stays far
   * inside a small thread stack and a hostile {@code [[[[…} fails with a clear error instead of a
   * {@link StackOverflowError}; on write it also makes a cyclic object graph fail fast.
   */
  private static <F extends TokenStreamFactory, B extends DecorableTSFBuilder<F, B>> F limit(
      B factory, CodecLimits limits, boolean json) {
    StreamReadConstraints read =
        StreamReadConstraints.builder()
            .maxNestingDepth(limits.maxDepth())
            .maxStringLength(MAX_STRING_LENGTH)
            .maxNameLength(MAX_NAME_LENGTH)
            .maxNumberLength(MAX_NUMBER_LENGTH)
            .build();
    return factory
        .streamReadConstraints(read)
        .streamWriteConstraints(
            StreamWriteConstraints.builder().maxNestingDepth(limits.maxDepth()).build())
        .addDecorator(LimitedGenerator.decorator(read, json))
        // The EncodeBuffer belongs to Tether, which reuses it; closing it is not ours to do.
        .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
        // Every encode and decode borrows a BufferRecycler. Jackson 3's default pool is a
        // ConcurrentLinkedDeque: a CAS-contended poll and a node allocation per message, 14% of the
        // decoding loop's and over 20% of the sender's samples in the two-JVM json bench. Messages
        // are encoded on the sending thread and decoded on the loop, both long-lived threads, so
        // one recycler per thread serves every message without any sharing.
        .recyclerPool(JsonRecyclerPools.threadLocalPool())
        .build();
  }

  // Never call activateDefaultTyping here: the class of every message is named by the frame's type
  // id, and polymorphic typing driven by the payload is how Jackson gadget attacks get in.
  private static <M extends ObjectMapper, B extends MapperBuilder<M, B>> M configure(
      B mapper, CodecLimits limits) {
    return mapper
        // Record components and bean properties in declaration order, so Echo is
        // {"text":"hi","seq":1} as PROTOCOL.md §10 expects (Jackson 3 sorts alphabetically).
        .disable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
        // Forward compatibility: a newer peer may add fields; an older reader ignores them.
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        // An explicit null for a primitive is a type error, not zero.
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        // A fraction for an integer is an error, not a truncation: 1.5 is not 1, and 1e-999999999
        // is not 0.
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        // A payload is exactly one value; anything after it is corruption.
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        // A record without components, such as record Ping(), is a valid message: {}.
        .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
        // java.time as ISO-8601 text ("2024-05-01T12:00:00.123456789Z", "PT1.5S"): unambiguous
        // for every language, and exact to the nanosecond.
        .disable(DateTimeFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(DateTimeFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
        // A ZonedDateTime keeps its zone, "2024-05-01T12:00:00+02:00[Europe/Paris]", and is read
        // back in it; an OffsetDateTime keeps its offset. Jackson's defaults turn both into UTC.
        .enable(DateTimeFeature.WRITE_DATES_WITH_ZONE_ID)
        .disable(DateTimeFeature.WRITE_DATES_WITH_CONTEXT_TIME_ZONE)
        .disable(DateTimeFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
        .addModule(
            new SimpleModule("tether-data-model")
                .setSerializerModifier(new EncodeChecks(limits))
                .setDeserializerModifier(new DecodeChecks(limits))
                // a record's constructor called through a handle adapted once per type
                .setValueInstantiators(new DirectCreators()))
        .build();
  }
}
