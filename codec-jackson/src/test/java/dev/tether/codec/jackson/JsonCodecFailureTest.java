package dev.tether.codec.jackson;

import dev.tether.testing.CodecFailureContract;

/** Runs core's live-connection decode-failure contract with the {@code json} codec. */
class JsonCodecFailureTest extends CodecFailureContract {
  @Override
  protected String codecName() {
    return "json";
  }
}
