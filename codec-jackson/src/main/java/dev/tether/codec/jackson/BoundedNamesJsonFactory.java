package dev.tether.codec.jackson;

import tools.jackson.core.JsonEncoding;
import tools.jackson.core.JsonParser;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.io.IOContext;
import tools.jackson.core.json.ByteSourceJsonBootstrapper;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.json.UTF8StreamJsonParser;
import tools.jackson.core.sym.ByteQuadsCanonicalizer;

/**
 * Jackson's JSON factory, except that its parsers of UTF-8 byte arrays, the codec's input, share a
 * {@link BoundedNames} table instead of the factory's own, which a peer could fill without bound.
 * The parser is made exactly as Jackson's factory makes it (the same encoding detection, a UTF-8
 * byte order mark skipped); payloads in UTF-16 or UTF-32 keep Jackson's own path, and its table.
 */
final class BoundedNamesJsonFactory extends JsonFactory {
  private static final long serialVersionUID = 1L;

  private static final byte[] UTF8_BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

  private final transient BoundedNames names = new BoundedNames();

  /** A factory with {@code configured}'s settings. */
  BoundedNamesJsonFactory(JsonFactory configured) {
    super(configured);
  }

  @Override
  public JsonFactory copy() {
    return new BoundedNamesJsonFactory(this);
  }

  @Override
  protected JsonParser _createParser(
      ObjectReadContext readCtxt, IOContext ioCtxt, byte[] data, int offset, int len) {
    _checkRangeBoundsForByteArray(data, offset, len);
    _streamReadConstraints.validateDocumentLength(len);
    JsonEncoding encoding =
        isEnabled(Feature.CHARSET_DETECTION)
            ? new ByteSourceJsonBootstrapper(ioCtxt, data, offset, len).detectEncoding()
            : JsonEncoding.UTF8;
    if (encoding != JsonEncoding.UTF8 || !isEnabled(Feature.CANONICALIZE_PROPERTY_NAMES)) {
      return super._createParser(readCtxt, ioCtxt, data, offset, len);
    }
    int bom = startsWithBom(data, offset, len) ? UTF8_BOM.length : 0;
    return new Parser(
        readCtxt,
        ioCtxt,
        readCtxt.getStreamReadFeatures(_streamReadFeatures),
        readCtxt.getFormatReadFeatures(_formatReadFeatures),
        names.forParser(_factoryFeatures),
        data,
        offset + bom,
        offset + len,
        bom);
  }

  private static boolean startsWithBom(byte[] data, int offset, int len) {
    return len >= UTF8_BOM.length
        && data[offset] == UTF8_BOM[0]
        && data[offset + 1] == UTF8_BOM[1]
        && data[offset + 2] == UTF8_BOM[2];
  }

  /** Jackson's UTF-8 parser, which tells the table what it learned before it hands it back. */
  private final class Parser extends UTF8StreamJsonParser {
    private final int payloadBytes;

    Parser(
        ObjectReadContext readCtxt,
        IOContext ioCtxt,
        int streamReadFeatures,
        int formatReadFeatures,
        ByteQuadsCanonicalizer view,
        byte[] data,
        int start,
        int end,
        int bytesPreProcessed) {
      super(
          readCtxt,
          ioCtxt,
          streamReadFeatures,
          formatReadFeatures,
          null,
          view,
          data,
          start,
          end,
          bytesPreProcessed,
          false);
      this.payloadBytes = end - start;
    }

    @Override
    protected void _releaseBuffers() {
      names.closing(_symbols, payloadBytes);
      super._releaseBuffers();
    }
  }
}
