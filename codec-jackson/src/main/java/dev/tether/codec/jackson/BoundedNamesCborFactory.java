package dev.tether.codec.jackson;

import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.io.IOContext;
import tools.jackson.core.sym.ByteQuadsCanonicalizer;
import tools.jackson.dataformat.cbor.CBORFactory;
import tools.jackson.dataformat.cbor.CBORParser;

/**
 * Jackson's CBOR factory, except that its parsers of byte arrays, the codec's input, share a {@link
 * BoundedNames} table instead of the factory's own, which a peer could fill without bound. The
 * parser is made exactly as Jackson's factory makes it.
 */
final class BoundedNamesCborFactory extends CBORFactory {
  private static final long serialVersionUID = 1L;

  private final transient BoundedNames names = new BoundedNames();

  /** A factory with {@code configured}'s settings. */
  BoundedNamesCborFactory(CBORFactory configured) {
    super(configured);
  }

  @Override
  public CBORFactory copy() {
    return new BoundedNamesCborFactory(this);
  }

  @Override
  protected CBORParser _createParser(
      ObjectReadContext readCtxt, IOContext ioCtxt, byte[] data, int offset, int len) {
    _streamReadConstraints.validateDocumentLength(len);
    return new Parser(
        readCtxt,
        ioCtxt,
        readCtxt.getStreamReadFeatures(_streamReadFeatures),
        readCtxt.getFormatReadFeatures(_formatReadFeatures),
        names.forParser(_factoryFeatures),
        data,
        offset,
        offset + len);
  }

  /** Jackson's CBOR parser, which tells the table what it learned before it hands it back. */
  private final class Parser extends CBORParser {
    private final int payloadBytes;

    Parser(
        ObjectReadContext readCtxt,
        IOContext ioCtxt,
        int streamReadFeatures,
        int formatReadFeatures,
        ByteQuadsCanonicalizer view,
        byte[] data,
        int start,
        int end) {
      super(
          readCtxt,
          ioCtxt,
          streamReadFeatures,
          formatReadFeatures,
          view,
          null,
          data,
          start,
          end,
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
