/**
 * Tether's core: the API ({@code dev.tether}), the codec SPI ({@code dev.tether.codec}) and the
 * optional Micrometer binding ({@code dev.tether.metrics}). The wire format and the engine live in
 * {@code dev.tether.internal.*}, which is not exported: it may change in any release.
 */
module dev.tether.core {
  requires org.slf4j;
  requires tls.channel;
  requires static micrometer.core;

  exports dev.tether;
  exports dev.tether.codec;
  exports dev.tether.metrics;

  uses dev.tether.codec.CodecProvider;

  provides dev.tether.codec.CodecProvider with
      dev.tether.internal.codec.BytesCodecProvider;
}
