package dev.tether.codec.jackson;

import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.EncodeBuffer;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JsonGenerator;
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
 * <p>A record of plain values is written without Jackson, to the bytes Jackson writes ({@link
 * PlainRecordWriter}), and read without it where its payload allows ({@link PlainRecordReader},
 * {@link CborRecordScan}).
 *
 * <p>This class is thread safe: mappers, readers and writers are immutable once built, and each
 * thread encodes with a generator of its own, kept between messages (about 8 KB of buffer per
 * thread that has sent with this codec, and in JSON up to 8 KB more for the base64 text of {@code
 * byte[]} values, twice: the generator's and {@link PlainRecordWriter}'s).
 */
final class JacksonCodec implements Codec {
  private static final Logger log = LoggerFactory.getLogger(JacksonCodec.class);

  private final String name;
  private final boolean cbor;

  // ObjectMapper.readerFor/writerFor build a new reader or writer each call and look the root
  // (de)serializer up again; caching one per class saves that on every message.
  private final ClassValue<ObjectReader> readers;
  private final ClassValue<ObjectWriter> writers;

  /**
   * Makes each thread's generator. Creating a generator per message (its I/O context, buffer, our
   * {@link LimitedGenerator} around it) and closing it again was over a third of encoding a 64-byte
   * message (162 ns against 105 with one generator per thread, reused); no separator between the
   * root values it writes, so every message is exactly its own JSON or CBOR.
   */
  private final ObjectWriter generators;

  private final ThreadLocal<Sink> sinks = ThreadLocal.withInitial(Sink::new);

  /**
   * Each type's reader for {@link ReusedParser} (JSON) or {@link CborRecordScan} (CBOR, which uses
   * only its plain reader), and in JSON each thread's parser.
   */
  private final ClassValue<ReusedParser.TypeReader> typeReaders;

  private final ThreadLocal<ReusedParser> reusedParsers;

  /** Each type's writer that bypasses Jackson, where it can be written plainly. */
  private final ClassValue<Optional<PlainRecordWriter>> plainWriters;

  JacksonCodec(String name, ObjectMapper mapper) {
    this.name = name;
    this.generators = mapper.writer().withRootValueSeparator((String) null);
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
    this.typeReaders =
        new ClassValue<>() {
          @Override
          protected ReusedParser.TypeReader computeValue(Class<?> type) {
            return new ReusedParser.TypeReader(
                readers.get(type), PlainRecordReader.of(mapper, type));
          }
        };
    this.plainWriters =
        new ClassValue<>() {
          @Override
          protected Optional<PlainRecordWriter> computeValue(Class<?> type) {
            return Optional.ofNullable(PlainRecordWriter.of(mapper, type));
          }
        };
    this.reusedParsers = cbor ? null : ThreadLocal.withInitial(() -> new ReusedParser(mapper));
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
    Sink sink = sinks.get();
    PlainRecordWriter plain = plainWriters.get(message.getClass()).orElse(null);
    if (plain != null && plain.write(message, out, sink.base64Text)) {
      if (!plain.confirmed()) {
        compareWithJackson(plain, message, out, start);
      }
      return;
    }
    if (sink.target != null) {
      encodeAlone(message, out, start); // re-entered on this thread, from inside an encode
      return;
    }
    sink.target = out;
    boolean written = false;
    try {
      JsonGenerator generator = sink.generator;
      if (generator == null) {
        generator = generators.createGenerator(sink);
        sink.generator = generator;
      }
      writers.get(message.getClass()).writeValue(generator, message);
      generator.flush();
      written = true;
    } catch (RuntimeException e) {
      throw encodeFailure(message, e);
    } finally {
      sink.target = null;
      if (!written) { // whatever was thrown, Errors included
        sink.generator = null; // it may hold half a value: the next message gets a new one
        out.position(start);
      }
    }
  }

  /**
   * The first message of a type that {@link PlainRecordWriter} wrote is encoded by Jackson too: if
   * the bytes differ (a setting or annotation that the writer's checks missed), or Jackson refuses
   * the message, the type goes to Jackson from then on, and this message gets Jackson's bytes or
   * refusal; never a message Jackson would have written differently.
   */
  private void compareWithJackson(
      PlainRecordWriter plain, Object message, EncodeBuffer out, int start) {
    int length = out.position() - start;
    EncodeBuffer jackson = new EncodeBuffer(length);
    try {
      encodeAlone(message, jackson, 0);
    } catch (RuntimeException e) {
      plain.refuse();
      out.position(start);
      throw e;
    }
    if (Arrays.equals(out.array(), start, start + length, jackson.array(), 0, jackson.position())) {
      plain.confirm();
      return;
    }
    log.warn(
        "{} codec: {} is written by Jackson from now on; the plain writer wrote {} where Jackson"
            + " writes {}",
        name,
        message.getClass().getName(),
        text(out.array(), start, length),
        text(jackson.array(), 0, jackson.position()));
    plain.refuse();
    out.position(start);
    out.write(jackson.array(), 0, jackson.position());
  }

  /** Returns JSON as its text, CBOR in hexadecimal. */
  private String text(byte[] bytes, int offset, int length) {
    return cbor
        ? HexFormat.of().formatHex(bytes, offset, offset + length)
        : new String(bytes, offset, length, StandardCharsets.UTF_8);
  }

  /** Encodes with a generator of its own, made and closed for this message. */
  private void encodeAlone(Object message, EncodeBuffer out, int start) {
    try {
      writers.get(message.getClass()).writeValue(out, message);
    } catch (RuntimeException e) {
      out.position(start);
      throw encodeFailure(message, e);
    }
  }

  private CodecException encodeFailure(Object message, RuntimeException e) {
    return new CodecException(
        name + " codec cannot encode " + message.getClass().getName() + ": " + e.getMessage(), e);
  }

  /**
   * A thread's generator and where it writes: the buffer of the encode in progress, null between
   * encodes. The generator is flushed at the end of every message, so it holds no bytes between
   * them.
   */
  private static final class Sink extends OutputStream {
    EncodeBuffer target;
    JsonGenerator generator;
    final LimitedGenerator.Base64Text base64Text = new LimitedGenerator.Base64Text();

    @Override
    public void write(int b) {
      target.write(b);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
      target.write(bytes, offset, length);
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
   * changed. A CBOR payload that {@link CborRecordScan} does not take (it takes no tags) has its
   * headers walked first ({@link CborPrescan}). A payload that is the literal {@code null} is
   * refused, so a decoded message is never null.
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
    ReusedParser.TypeReader reused = null;
    if (cbor) {
      reused = typeReaders.get(type);
      Object scanned = reused.ready() ? scan(reused, array, offset, length) : null;
      if (scanned != null) {
        @SuppressWarnings("unchecked") // as readValue's own result below: the reader is the type's
        T message = (T) scanned;
        return message;
      }
      String refusal = CborPrescan.refusal(array, offset, length);
      if (refusal != null) {
        throw failure(type, length, refusal, null);
      }
    } else if (ReusedParser.mayRead(array, offset, length)) {
      reused = typeReaders.get(type);
      if (reused.ready()) {
        @SuppressWarnings("unchecked") // as readValue's own result below: the reader is the type's
        T message = (T) reusedParsers.get().read(reused, array, offset, length);
        if (message != null) {
          return message;
        }
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
    if (reused != null) {
      reused.decodedOnce();
    }
    return message;
  }

  /**
   * Reads a CBOR payload with {@link CborRecordScan} where the type is a record of plain values;
   * null where it is not, or the scan gives the payload up (the caller then decodes it with
   * Jackson, so a creator that threw runs again and is reported in Jackson's words).
   */
  private static Object scan(ReusedParser.TypeReader reader, byte[] array, int offset, int length) {
    PlainRecordReader record = reader.scanner();
    if (record == null) {
      return null;
    }
    Object value;
    try {
      value = CborRecordScan.scan(record, array, offset, length);
    } catch (RuntimeException notExpected) {
      value = null; // a bug of the scan's must cost only the scan: Jackson reads the payload
    }
    if (value == null) {
      reader.scanGaveUp();
    }
    return value == PlainRecordReader.CREATOR_THREW ? null : value;
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
