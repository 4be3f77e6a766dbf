package dev.tether.codec.fury;

import dev.tether.testing.CodecFailureContract;

/** Runs core's live-connection decode-failure contract with the {@code fury} codec. */
class FuryCodecFailureTest extends CodecFailureContract {
  @Override
  protected String codecName() {
    return "fury";
  }
}
