package dev.tether.codec.jackson;

import dev.tether.testing.CodecContract;

/** Runs core's codec contract against the {@code json} codec. */
class JsonCodecContractTest extends CodecContract {
  @Override
  protected String codecName() {
    return "json";
  }
}
