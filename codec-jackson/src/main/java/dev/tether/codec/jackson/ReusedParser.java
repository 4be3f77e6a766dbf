package dev.tether.codec.jackson;

import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.SerializableString;
import tools.jackson.core.async.ByteArrayFeeder;
import tools.jackson.core.sym.PropertyNameMatcher;
import tools.jackson.core.util.JsonParserDelegate;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.ObjectReader;

/**
 * Reads small JSON objects with one parser per thread, fed each payload in turn, instead of a new
 * parser per payload. Making and closing a parser (its I/O context, name table, text buffer) is a
 * fixed cost of about 60 ns, a fifth of decoding a 64-byte record; Jackson's non-blocking parser
 * takes a stream of root values fed in pieces, so one can read message after message. It scans
 * strings more slowly than the parser made per payload, which wins from about 300 bytes on: only
 * payloads up to {@link #MAX_BYTES} come here.
 *
 * <p>This path only ever <em>accepts</em>: a payload is taken only if it is one object, opened by
 * its first byte and closed by its last, read whole by the type's {@link PlainRecordReader} or,
 * where it has none or that gives the payload up, by the type's deserializer. Anything else —
 * malformed or truncated JSON, a trailing token, a deserializer or constructor that throws, a null
 * — makes it give the parser up and return null, and the caller decodes the payload again with a
 * parser of its own, which accepts or refuses it with Jackson's usual words. A payload that fails
 * is therefore read twice (a throwing constructor runs twice); one that succeeds, once.
 *
 * <p>The parser learns the property names it reads; it is dropped and replaced after {@link
 * #REPLACE_AFTER_BYTES}, so what a peer sends cannot grow it without bound, and its names never go
 * back to a table other parsers start from ({@link #giveUp}). Not thread safe: one instance per
 * thread.
 */
final class ReusedParser {
  /** Largest payload read here; larger ones get a parser of their own. */
  static final int MAX_BYTES = 256;

  /** Bytes a parser reads before it is replaced. */
  static final long REPLACE_AFTER_BYTES = 64 * 1024;

  private final ObjectReader untyped;
  private JsonParser parser;
  private ByteArrayFeeder feeder;
  private long fed;
  private boolean busy;

  ReusedParser(ObjectMapper mapper) {
    this.untyped = mapper.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  /**
   * A type's reader for this path: the same as the codec's but without the trailing-token check,
   * which {@link #read} makes itself (the non-blocking parser reports the end of what it was fed as
   * a token of its own), and, for a record of plain values, a {@link PlainRecordReader}. It is
   * {@linkplain #ready() ready} once the codec's own parser has decoded a payload of the type: what
   * Jackson does once per type and parser on the way (a few hundred kilobytes of set-up) is then
   * done, and a peer's first bad payload, which goes to that parser after this path gives up, costs
   * what it would cost without this path.
   */
  static final class TypeReader {
    /**
     * Payloads the plain reader may give up before it is no longer tried for the type. Each costs a
     * parser (about 60 ns) on top of Jackson's reading; a type whose payloads are often not plain
     * (nulls, missing or extra properties) is soon read by Jackson alone, as before.
     */
    static final int PLAIN_MISSES = 1024;

    private final ObjectReader reader;
    private final PlainRecordReader plain;
    private volatile boolean ready;
    private int plainMisses; // racy between threads, and only ever counts up: it is only a bound
    private int scanMisses; // as plainMisses

    TypeReader(ObjectReader codecReader, PlainRecordReader plain) {
      this.reader = codecReader.without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
      this.plain = plain;
    }

    ObjectReader reader() {
      return reader;
    }

    /** The plain reader, or null where the type has none or it gave up too often. */
    PlainRecordReader plain() {
      return plainMisses < PLAIN_MISSES ? plain : null;
    }

    void plainGaveUp() {
      plainMisses++;
    }

    /**
     * The plain reader if its {@linkplain PlainRecordReader#scan scan of the bytes} is still tried
     * for the type: it is not once it gave up {@link #PLAIN_MISSES} payloads (a type whose strings
     * hold escapes or other than ASCII, say), each a partial scan wasted before the parser's turn.
     */
    PlainRecordReader scanner() {
      return scanMisses < PLAIN_MISSES ? plain() : null;
    }

    void scanGaveUp() {
      scanMisses++;
    }

    boolean ready() {
      return ready;
    }

    void decodedOnce() {
      if (!ready) {
        ready = true;
      }
    }
  }

  /**
   * Returns whether {@code length} bytes at {@code offset} may be read here: a payload no longer
   * than {@link #MAX_BYTES} that starts with {@code &#123;} and ends with {@code &#125;}.
   */
  static boolean mayRead(byte[] array, int offset, int length) {
    return length >= 2
        && length <= MAX_BYTES
        && array[offset] == '{'
        && array[offset + length - 1] == '}';
  }

  /**
   * Reads one object of {@code type}: with its plain reader where it has one, first by {@linkplain
   * PlainRecordReader#scan scanning the bytes} (no parser at all), then from the parser's tokens;
   * else with Jackson on the parser. Returns null if this path does not take the payload, for
   * whatever reason, and the caller must decode it with a parser of its own.
   */
  Object read(TypeReader type, byte[] array, int offset, int length) {
    PlainRecordReader scanner = type.scanner();
    if (scanner != null) {
      Object value;
      try {
        value = scanner.scan(array, offset, length);
      } catch (RuntimeException notExpected) {
        value = null; // a bug of the scan's must cost only the scan: the parser reads the payload
      }
      if (value == PlainRecordReader.CREATOR_THREW) {
        return null; // as below
      } else if (value != null) {
        return value;
      }
      type.scanGaveUp();
    }
    if (busy) {
      return null; // a decode inside a decode, on this thread: the outer one holds the parser
    }
    busy = true;
    boolean taken = false;
    try {
      Object value = null;
      PlainRecordReader plain = type.plain();
      if (plain != null) {
        feed(array, offset, length);
        value = plain.read(parser);
        if (value == PlainRecordReader.CREATOR_THREW) {
          return null; // read by the codec's own parser, so the creator runs twice, as before
        } else if (value != null) {
          parser.clearCurrentToken(); // where databind leaves it, for the check below
        } else {
          type.plainGaveUp();
          giveUp(); // it stopped somewhere inside the payload: Jackson reads it from the start
        }
      }
      if (value == null) {
        if (hasNegativeZeroInteger(array, offset, length)) {
          return null;
        }
        feed(array, offset, length);
        value = type.reader().readValue(parser);
      }
      // The object ended at the last byte fed, at the root: nothing after it, nothing cut short
      // (a deserializer that met the end of the input inside the object would stop elsewhere).
      taken =
          value != null
              && feeder.needMoreInput()
              && parser.getLastClearedToken() == JsonToken.END_OBJECT
              && parser.streamReadContext().inRoot();
      return taken ? value : null;
    } catch (RuntimeException | StackOverflowError e) {
      return null;
    } finally {
      // whatever went wrong, Errors included, the parser may be inside a value: never fed again
      if (!taken || fed >= REPLACE_AFTER_BYTES) {
        giveUp();
      }
      busy = false;
    }
  }

  /**
   * Returns whether the payload may hold the integer {@code -0}: a {@code -} and a {@code 0} not
   * followed by a digit, a point or an exponent (or such bytes inside a string, which only makes
   * the payload go to the other parser for nothing). Jackson's non-blocking parser reads that
   * integer's text as {@code "0"}, where its other parsers read {@code "-0"}, and databind makes a
   * {@code String} property from a number's text: {@code {"name":-0}} would decode with another
   * name here. The plain reader never turns a number into text, so only Jackson's path is kept from
   * such payloads.
   */
  static boolean hasNegativeZeroInteger(byte[] array, int offset, int length) {
    int end = offset + length - 2; // mayRead: the last byte is the closing brace
    for (int i = offset; i < end; i++) {
      if (array[i] == '-' && array[i + 1] == '0') {
        int next = array[i + 2];
        if ((next < '0' || next > '9') && next != '.' && next != 'e' && next != 'E') {
          return true;
        }
      }
    }
    return false;
  }

  /** Feeds a payload to the parser, made first if there is none. */
  private void feed(byte[] array, int offset, int length) {
    if (parser == null) {
      JsonParser nonBlocking = untyped.createNonBlockingByteArrayParser();
      feeder = (ByteArrayFeeder) nonBlocking.nonBlockingInputFeeder();
      parser = new Ended(nonBlocking);
      fed = 0;
    }
    feeder.feedInput(array, offset, offset + length);
    fed += length;
  }

  /**
   * Drops the parser without closing it: the names it learned, a peer's among them, never reach the
   * table that the factory's non-blocking parsers start from (Jackson's own, which nothing then
   * enlarges), and unclosed it only keeps its text buffer from the thread's recycler, which makes
   * another.
   */
  private void giveUp() {
    parser = null;
    feeder = null;
  }

  /**
   * Thrown where the parser reached the end of what it was fed inside a value: the payload is cut
   * short (or this path read past it). Made once, without a stack trace: it only ever sends the
   * payload to the other path.
   */
  private static final RuntimeException CUT_SHORT =
      new IllegalStateException("the payload ended inside a value") {
        private static final long serialVersionUID = 1L;

        @Override
        public synchronized Throwable fillInStackTrace() {
          return this;
        }
      };

  /**
   * The non-blocking parser as databind must see it: where that parser reports that it needs more
   * input ({@link JsonToken#NOT_AVAILABLE}), which databind does not expect and some of its loops
   * would read forever, this throws {@link #CUT_SHORT}. Every abstract method that moves the parser
   * on is covered; {@link JsonParser}'s others ({@code nextStringValue} and the like) call {@code
   * nextToken}, and the non-blocking parser's own {@code skipChildren} refuses to skip past the end
   * of its input.
   */
  private static final class Ended extends JsonParserDelegate {
    Ended(JsonParser nonBlocking) {
      super(nonBlocking);
    }

    @Override
    public JsonToken nextToken() {
      return checked(delegate.nextToken());
    }

    @Override
    public JsonToken nextValue() {
      return checked(delegate.nextValue());
    }

    @Override
    public void finishToken() {
      delegate.finishToken();
      checked(delegate.currentToken());
    }

    @Override
    public String nextName() {
      String name = delegate.nextName();
      if (name == null) {
        checked(delegate.currentToken());
      }
      return name;
    }

    @Override
    public boolean nextName(SerializableString expected) {
      boolean matched = delegate.nextName(expected);
      if (!matched) {
        checked(delegate.currentToken());
      }
      return matched;
    }

    @Override
    public int nextNameMatch(PropertyNameMatcher matcher) {
      int match = delegate.nextNameMatch(matcher);
      if (match < 0) {
        checked(delegate.currentToken());
      }
      return match;
    }

    private static JsonToken checked(JsonToken token) {
      if (token == JsonToken.NOT_AVAILABLE) {
        throw CUT_SHORT;
      }
      return token;
    }
  }
}
