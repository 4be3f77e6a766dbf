package dev.tether.codec.jackson;

import dev.tether.testing.CodecFailureContract;

/** Runs core's live-connection decode-failure contract with the {@code cbor} codec. */
class CborCodecFailureTest extends CodecFailureContract {
  @Override
  protected String codecName() {
    return "cbor";
  }
}
