package dev.tether.codec.jackson;

import dev.tether.testing.CodecContract;

/** Runs core's codec contract against the {@code cbor} codec. */
class CborCodecContractTest extends CodecContract {
  @Override
  protected String codecName() {
    return "cbor";
  }
}
