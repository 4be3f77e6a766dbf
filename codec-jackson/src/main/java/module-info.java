/**
 * Tether's {@code json} and {@code cbor} codecs, on Jackson. Found through {@link
 * java.util.ServiceLoader}; nothing here is API.
 */
module dev.tether.codec.jackson {
  requires dev.tether.core;
  requires tools.jackson.core;
  requires tools.jackson.databind;
  requires tools.jackson.dataformat.cbor;
  requires org.slf4j;

  provides dev.tether.codec.CodecProvider with
      dev.tether.codec.jackson.JsonCodecProvider,
      dev.tether.codec.jackson.CborCodecProvider;
}
