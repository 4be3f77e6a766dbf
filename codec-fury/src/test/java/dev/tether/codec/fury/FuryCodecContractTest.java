package dev.tether.codec.fury;

import dev.tether.testing.CodecContract;

/** Runs core's codec contract against the {@code fury} codec, which carries every sample. */
class FuryCodecContractTest extends CodecContract {
  @Override
  protected String codecName() {
    return "fury";
  }
}
